# plugins/: bundled check plugins, built as modules into checks.d/ of the build tree.
# Each plugin folder adds its own include line here (issue 4 and later).
