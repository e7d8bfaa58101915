/*
 * mailbox: hands messages from any thread to the thread running one libevent base.
 *
 * Posting appends to a mutex-protected list and activates an event on the target base; the
 * base's thread then calls the handler once per message, in posting order. The lock is held
 * only to link or unlink a node, never while a handler runs. Used for flush batches (receiver
 * -> main) and for jobs that must run on the aggregator's thread (main, check workers ->
 * receiver). Requires evthread_use_pthreads() before the base was created.
 */
#ifndef TALLY_CORE_MAILBOX_H
#define TALLY_CORE_MAILBOX_H

struct event_base;
struct tally_mailbox;

/* Called on the base's thread with the posted msg (the handler owns it from then on). */
typedef void (*tally_mailbox_fn)(void *msg, void *arg);

/* Returns a mailbox delivering to fn(msg, arg) on base's thread; NULL if libevent fails. */
struct tally_mailbox *tally_mailbox_new(struct event_base *base, tally_mailbox_fn fn, void *arg);
/* Posts msg (ownership passes to the handler). Any thread. */
void tally_mailbox_post(struct tally_mailbox *mb, void *msg);
/* Runs the handler for every queued message now, on the calling thread. */
void tally_mailbox_drain(struct tally_mailbox *mb);
/* Frees the mailbox; messages still queued are handed to the handler first. Accepts NULL. */
void tally_mailbox_free(struct tally_mailbox *mb);

#endif
