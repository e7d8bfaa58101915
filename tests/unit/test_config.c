#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* placeholder until the module's tests are written */
static void
test_placeholder(void **state)
{
}

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_placeholder) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
