/*
 * A minimal Envoy dynamic module for eg4j's tests (io.eg4j.xds.testing.TestDynamicModule compiles
 * it with the C compiler): an HTTP filter that sets the response header
 * "x-dynamic-module: <filter_name>:<filter_config>" on every response it sees.
 *
 * Written against the dynamic modules ABI of Envoy 1.40 (source/extensions/dynamic_modules/abi in
 * the Envoy repository): Envoy resolves every envoy_dynamic_module_on_http_filter_* hook below when
 * it loads an HTTP filter and refuses the module if one is missing; the hooks this module does not
 * use are never called here, so they take no arguments. The ABI version string only selects a
 * warning in Envoy's log when it is not the binary's own.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char* ptr;
  size_t length;
} buffer;

typedef struct {
  char* value;
  size_t length;
} filter_config;

enum { RESPONSE_HEADER = 2 };

/* Provided by Envoy. */
bool envoy_dynamic_module_callback_http_set_header(void* filter_envoy_ptr, int header_type,
                                                   buffer key, buffer value);

const char* envoy_dynamic_module_on_program_init(void) { return "eg4j-test-module"; }

const void* envoy_dynamic_module_on_http_filter_config_new(void* config_envoy_ptr, buffer name,
                                                           buffer config) {
  (void)config_envoy_ptr;
  filter_config* c = malloc(sizeof(filter_config));
  if (c == NULL) {
    return NULL;
  }
  c->length = name.length + 1 + config.length;
  c->value = malloc(c->length + 1);
  if (c->value == NULL) {
    free(c);
    return NULL;
  }
  memcpy(c->value, name.ptr, name.length);
  c->value[name.length] = ':';
  memcpy(c->value + name.length + 1, config.ptr, config.length);
  c->value[c->length] = 0;
  return c;
}

void envoy_dynamic_module_on_http_filter_config_destroy(const void* config) {
  filter_config* c = (filter_config*)config;
  free(c->value);
  free(c);
}

const void* envoy_dynamic_module_on_http_filter_new(const void* config, void* filter_envoy_ptr) {
  (void)filter_envoy_ptr;
  return config;
}

int envoy_dynamic_module_on_http_filter_response_headers(void* filter_envoy_ptr,
                                                         const void* filter, bool end_of_stream) {
  (void)end_of_stream;
  const filter_config* c = (const filter_config*)filter;
  buffer key = {"x-dynamic-module", 16};
  buffer value = {c->value, c->length};
  envoy_dynamic_module_callback_http_set_header(filter_envoy_ptr, RESPONSE_HEADER, key, value);
  return 0;
}

/* Every other hook Envoy resolves: continue, do nothing. */
int envoy_dynamic_module_on_http_filter_request_headers(void* e, const void* f, bool eos) {
  (void)e; (void)f; (void)eos;
  return 0;
}
int envoy_dynamic_module_on_http_filter_request_body(void* e, const void* f, bool eos) {
  (void)e; (void)f; (void)eos;
  return 0;
}
int envoy_dynamic_module_on_http_filter_request_trailers(void* e, const void* f) {
  (void)e; (void)f;
  return 0;
}
int envoy_dynamic_module_on_http_filter_response_body(void* e, const void* f, bool eos) {
  (void)e; (void)f; (void)eos;
  return 0;
}
int envoy_dynamic_module_on_http_filter_response_trailers(void* e, const void* f) {
  (void)e; (void)f;
  return 0;
}
void envoy_dynamic_module_on_http_filter_stream_complete(void* e, const void* f) {
  (void)e; (void)f;
}
void envoy_dynamic_module_on_http_filter_destroy(const void* f) { (void)f; }
void envoy_dynamic_module_on_http_filter_http_callout_done(void) {}
void envoy_dynamic_module_on_http_filter_http_stream_headers(void) {}
void envoy_dynamic_module_on_http_filter_http_stream_data(void) {}
void envoy_dynamic_module_on_http_filter_http_stream_trailers(void) {}
void envoy_dynamic_module_on_http_filter_http_stream_complete(void) {}
void envoy_dynamic_module_on_http_filter_http_stream_reset(void) {}
void envoy_dynamic_module_on_http_filter_scheduled(void) {}
void envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark(void) {}
void envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark(void) {}
