// SPDX-License-Identifier: GPL-2.0
#include "classify.h"

const char *const cow_class_names[NCLASS] = {
	"reuse",      "necessary_copy", "unnecessary_copy",
	"missed_cow", "wrong_cow",
};

static void copied(enum expect e, bool other_saw, bool pin_lost,
		   struct tally *t)
{
	t->copies++;
	switch (e) {
	case EXP_SHARED:
		if (other_saw)
			t->unexplained++;
		else
			t->classes[CLS_NECESSARY]++;
		break;
	case EXP_EXCLUSIVE:
		t->classes[CLS_UNNECESSARY]++;
		break;
	case EXP_OWN_PIN:
		t->classes[pin_lost ? CLS_WRONG : CLS_UNNECESSARY]++;
		break;
	case EXP_FRESH:
		t->unexplained++;
		break;
	}
}

static void kept(enum expect e, bool other_saw, struct tally *t)
{
	t->reuses++;
	switch (e) {
	case EXP_SHARED:
		if (other_saw)
			t->classes[CLS_MISSED]++;
		else
			t->unexplained++;
		break;
	case EXP_EXCLUSIVE:
	case EXP_OWN_PIN:
		t->classes[CLS_REUSE]++;
		break;
	case EXP_FRESH:
		t->unexplained++;
		break;
	}
}

void classify_page(enum pg_outcome o, enum expect e, bool other_saw,
		   bool pin_lost, struct tally *t)
{
	switch (o) {
	case PG_POPULATE:
		t->populate++;
		break;
	case PG_SWAPIN:
		t->swapin++;
		break;
	case PG_COPY:
		copied(e, other_saw, pin_lost, t);
		break;
	case PG_SAME:
		kept(e, other_saw, t);
		break;
	default:
		t->unexplained++;
		break;
	}
}
