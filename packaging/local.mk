# packaging/: what `make install` puts beside the binary and the bundled checks (which
# plugins/local.mk installs through checkplugin_LTLIBRARIES): conf.d files, an example main
# config, the man page, the systemd unit; and the container image and DaemonSet (by hand,
# packaging/build-image.sh).
#
# Every conf.d/*.yaml.example and conf.d/*.yaml.default of the source tree is installed, by a
# loop, so that a new bundled check's files need no line here.
tallyconfdir = $(sysconfdir)/tally
tallyconfddir = $(tallyconfdir)/conf.d
systemdunitdir = $(prefix)/lib/systemd/system

dist_man_MANS = packaging/tally.8
dist_tallyconf_DATA = packaging/tally.yaml.example
systemdunit_DATA = packaging/tally.service
CLEANFILES += packaging/tally.service
EXTRA_DIST += packaging/tally.service.in packaging/Dockerfile packaging/daemonset.yaml \
	packaging/build-image.sh packaging/README.md conf.d

packaging/tally.service: packaging/tally.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) packaging && \
	sed -e 's|@bindir[@]|$(bindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    -e 's|@localstatedir[@]|$(localstatedir)|g' \
	    $(srcdir)/packaging/tally.service.in > $@.tmp && mv -f $@.tmp $@

install-data-local: install-confd
uninstall-local: uninstall-confd
install-confd:
	$(MKDIR_P) '$(DESTDIR)$(tallyconfddir)'
	@test -f '$(DESTDIR)$(tallyconfdir)/tally.yaml' || \
		$(INSTALL_DATA) $(srcdir)/packaging/tally.yaml.example '$(DESTDIR)$(tallyconfdir)/tally.yaml'
	@for f in $(srcdir)/conf.d/*.yaml.example $(srcdir)/conf.d/*.yaml.default; do \
		test -f "$$f" || continue; \
		echo " $(INSTALL_DATA) $$f '$(DESTDIR)$(tallyconfddir)'"; \
		$(INSTALL_DATA) "$$f" '$(DESTDIR)$(tallyconfddir)' || exit 1; \
	done
uninstall-confd:
	@cmp -s $(srcdir)/packaging/tally.yaml.example '$(DESTDIR)$(tallyconfdir)/tally.yaml' && \
		rm -f '$(DESTDIR)$(tallyconfdir)/tally.yaml' || true
	@for f in $(srcdir)/conf.d/*.yaml.example $(srcdir)/conf.d/*.yaml.default; do \
		test -f "$$f" || continue; \
		rm -f '$(DESTDIR)$(tallyconfddir)'/`basename "$$f"`; \
	done
.PHONY: install-confd uninstall-confd

# libtool's .la files are of no use to dlopen(): only the .so files stay in checks.d.
install-data-hook:
	@for la in $(checkplugin_LTLIBRARIES); do \
		rm -f '$(DESTDIR)$(checkplugindir)'/`basename $$la`; \
	done

# Where `make install` puts things, for tests/integration/test_install.py.
print-install-dirs:
	@echo 'bindir=$(bindir)'; echo 'checkplugindir=$(checkplugindir)'; \
	echo 'tallyconfdir=$(tallyconfdir)'; echo 'tallyconfddir=$(tallyconfddir)'; \
	echo 'pkgincludedir=$(pkgincludedir)'; echo 'man8dir=$(man8dir)'; \
	echo 'systemdunitdir=$(systemdunitdir)'
.PHONY: print-install-dirs

# Without its .la, libtool's uninstall cannot know the .so: remove those here.
uninstall-hook:
	@for la in $(checkplugin_LTLIBRARIES); do \
		rm -f '$(DESTDIR)$(checkplugindir)'/`basename $$la .la`.so; \
	done

# Test fixtures that no other rule distributes, so that `make distcheck` runs every test.
EXTRA_DIST += tests/unit/data tests/integration/victoria.py tests/fuzz/corpus tests/fuzz/parse.dict \
	scripts/install-deps.sh scripts/run.sh scripts/test.sh .clang-format

# configure's exit trap runs `rm -f core ... && rm -f confdefs.h`: with our core/ folder in
# the build tree the first rm fails and confdefs.h stays behind. distclean removes it.
DISTCLEANFILES = confdefs.h

# test_clients.py keeps the Node client it installs (npm) under the build tree between runs.
distclean-local: distclean-test-clients
distclean-test-clients:
	rm -rf tests/clients
.PHONY: distclean-test-clients
