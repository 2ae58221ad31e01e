/* libcurl, loaded when the first request is made rather than at start.
 *
 * hbrun waits for the job for as long as the job runs; libcurl and the
 * thirty-odd libraries it pulls in would be mapped, and partly dirtied,
 * for all that time.  So nothing links libcurl: the functions used are
 * looked up here, once, after the job has ended.  curl/curl.h is still
 * included for its types and constants. */
#ifndef HBRUN_CURL_LAZY_H
#define HBRUN_CURL_LAZY_H

#include <curl/curl.h>

/* The oldest libcurl with everything used: CURLOPT_QUICK_EXIT. */
#define CURL_LAZY_MIN_VERSION 0x075700 /* 7.87.0 */

struct curl_fns {
	CURLcode (*global_init)(long flags);
	curl_version_info_data *(*version_info)(CURLversion age);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *e, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *e, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *e);
	const char *(*easy_strerror)(CURLcode code);
	char *(*easy_escape)(CURL *e, const char *s, int len);
	void (*free)(void *p);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *e);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *e);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption option, ...);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s,
					 int ev_bitmask, int *running);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	CURLMcode (*multi_cleanup)(CURLM *m);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *u, CURLUPart part, const char *s,
			     unsigned int flags);
	CURLUcode (*url_get)(const CURLU *u, CURLUPart part, char **s,
			     unsigned int flags);
	void (*url_cleanup)(CURLU *u);
};

/* The functions, loading libcurl on the first call; NULL when it cannot be
 * loaded, and then curl_lazy_error() says why. */
const struct curl_fns *curl_lazy(void);
const char *curl_lazy_error(void);

#endif
