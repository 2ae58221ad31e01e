#include "curl_lazy.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

static struct curl_fns fns;
static const struct curl_fns *loaded;
static char error[256];
static int tried;

/* The sonames of Debian's and most distributions' libcurl builds. */
static const char *const sonames[] = { "libcurl.so.4", "libcurl-gnutls.so.4" };

struct symbol {
	const char *name;
	size_t offset;
};

#define SYM(field, name) { name, offsetof(struct curl_fns, field) }
static const struct symbol symbols[] = {
	SYM(global_init, "curl_global_init"),
	SYM(version_info, "curl_version_info"),
	SYM(easy_init, "curl_easy_init"),
	SYM(easy_setopt, "curl_easy_setopt"),
	SYM(easy_getinfo, "curl_easy_getinfo"),
	SYM(easy_cleanup, "curl_easy_cleanup"),
	SYM(easy_strerror, "curl_easy_strerror"),
	SYM(easy_escape, "curl_easy_escape"),
	SYM(free, "curl_free"),
	SYM(multi_init, "curl_multi_init"),
	SYM(multi_add_handle, "curl_multi_add_handle"),
	SYM(multi_remove_handle, "curl_multi_remove_handle"),
	SYM(multi_setopt, "curl_multi_setopt"),
	SYM(multi_socket_action, "curl_multi_socket_action"),
	SYM(multi_info_read, "curl_multi_info_read"),
	SYM(multi_cleanup, "curl_multi_cleanup"),
	SYM(slist_append, "curl_slist_append"),
	SYM(slist_free_all, "curl_slist_free_all"),
	SYM(url, "curl_url"),
	SYM(url_set, "curl_url_set"),
	SYM(url_get, "curl_url_get"),
	SYM(url_cleanup, "curl_url_cleanup"),
};

/* Debian's libcurl pulls in GnuTLS (through librtmp and libldap), whose
 * constructor initialises it, reading its config and seeding its random
 * generator (tests/bench/README.md has the cost), for a library hbrun
 * never calls.  GnuTLS's documented switch turns that off; a libcurl built on
 * GnuTLS calls gnutls_global_init() itself.  The job has long had its
 * environment: this is hbrun's own. */
static void *open_library(void)
{
	setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 1);
	void *lib = NULL;
	for (size_t i = 0; !lib && i < sizeof sonames / sizeof *sonames; i++)
		lib = dlopen(sonames[i], RTLD_LAZY | RTLD_LOCAL);
	if (!lib)
		snprintf(error, sizeof error, "%s", dlerror());
	return lib;
}

static int resolve(void *lib)
{
	for (size_t i = 0; i < sizeof symbols / sizeof *symbols; i++) {
		void *p = dlsym(lib, symbols[i].name);
		if (!p) {
			snprintf(error, sizeof error, "libcurl lacks %s",
				 symbols[i].name);
			return -1;
		}
		/* POSIX guarantees that a dlsym() result converts to a
		 * function pointer; copy it as bytes to say so to C. */
		*(void **)((char *)&fns + symbols[i].offset) = p;
	}
	return 0;
}

static int usable(void)
{
	const curl_version_info_data *v = fns.version_info(CURLVERSION_NOW);
	if (v->version_num < CURL_LAZY_MIN_VERSION) {
		snprintf(error, sizeof error,
			 "libcurl %s is older than 7.87.0", v->version);
		return -1;
	}
	if (fns.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(error, sizeof error, "libcurl failed to initialise");
		return -1;
	}
	return 0;
}

const struct curl_fns *curl_lazy(void)
{
	if (tried)
		return loaded;
	tried = 1;
	void *lib = open_library();
	if (lib && resolve(lib) == 0 && usable() == 0)
		loaded = &fns;
	/* A failed load keeps the library mapped: there is nothing to gain
	 * from unloading it in a process about to end. */
	return loaded;
}

const char *curl_lazy_error(void)
{
	return error;
}
