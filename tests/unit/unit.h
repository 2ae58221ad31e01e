/* Shared by the unit test programs: each defines unit_suite(). */
#ifndef HBRUN_UNIT_H
#define HBRUN_UNIT_H

#include <check.h>
#include <stddef.h>

Suite *unit_suite(void);

/* Send fd 2 to a temporary file until capture_end(), which returns what was
 * written (NUL-ended, static storage). */
void capture_begin(void);
const char *capture_end(void);

/* A temporary folder for files a test writes; removed at exit. */
const char *scratch_dir(void);
/* Write TEXT to NAME in the scratch folder with MODE; returns the path. */
const char *scratch_file(const char *name, const char *text, int mode);

#endif
