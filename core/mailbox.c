#include "mailbox.h"

#include <pthread.h>
#include <stdlib.h>

#include <event2/event.h>

#include "xmem.h"

struct mailbox_node {
	struct mailbox_node *next;
	void *msg;
};

struct tally_mailbox {
	pthread_mutex_t lock;
	struct mailbox_node *head, *tail;
	struct event *wake;
	tally_mailbox_fn fn;
	void *arg;
};

static struct mailbox_node *
take_all(struct tally_mailbox *mb)
{
	struct mailbox_node *list;

	pthread_mutex_lock(&mb->lock);
	list = mb->head;
	mb->head = mb->tail = NULL;
	pthread_mutex_unlock(&mb->lock);
	return list;
}

void
tally_mailbox_drain(struct tally_mailbox *mb)
{
	struct mailbox_node *n, *next;

	for (n = take_all(mb); n; n = next) {
		next = n->next;
		mb->fn(n->msg, mb->arg);
		free(n);
	}
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	tally_mailbox_drain(arg);
}

struct tally_mailbox *
tally_mailbox_new(struct event_base *base, tally_mailbox_fn fn, void *arg)
{
	struct tally_mailbox *mb = tally_xcalloc(1, sizeof(*mb));

	pthread_mutex_init(&mb->lock, NULL);
	mb->fn = fn;
	mb->arg = arg;
	mb->wake = event_new(base, -1, 0, on_wake, mb);
	if (!mb->wake) {
		tally_mailbox_free(mb);
		return NULL;
	}
	return mb;
}

void
tally_mailbox_post(struct tally_mailbox *mb, void *msg)
{
	struct mailbox_node *n = tally_xmalloc(sizeof(*n));

	n->next = NULL;
	n->msg = msg;
	pthread_mutex_lock(&mb->lock);
	if (mb->tail)
		mb->tail->next = n;
	else
		mb->head = n;
	mb->tail = n;
	pthread_mutex_unlock(&mb->lock);
	event_active(mb->wake, EV_READ, 0);
}

void
tally_mailbox_free(struct tally_mailbox *mb)
{
	if (!mb)
		return;
	if (mb->wake) {
		tally_mailbox_drain(mb);
		event_free(mb->wake);
	}
	pthread_mutex_destroy(&mb->lock);
	free(mb);
}
