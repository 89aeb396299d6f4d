/*
 * A minimal Envoy dynamic module for eg4j's tests (io.eg4j.xds.testing.TestDynamicModule compiles
 * it with the C compiler):
 * - an HTTP filter that sets the response header "x-dynamic-module: <filter_name>:<filter_config>"
 *   on every response it sees;
 * - a load balancer ("eg4j-pinned"): every request goes to the healthy host whose address
 *   ("127.0.0.1:8080") appears in the policy's config, else to the first healthy host. Any other
 *   load balancer name is refused (Envoy then refuses the cluster).
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

/* ---------------------------------------------------------------------------------------------
 * The load balancer (envoy.load_balancing_policies.dynamic_modules). Envoy resolves the five
 * envoy_dynamic_module_on_lb_* hooks below when it loads the policy and refuses the module if one
 * is missing; chooseHost answers an index into the healthy hosts of a priority.
 */

/* Provided by Envoy. */
size_t envoy_dynamic_module_callback_lb_get_healthy_hosts_count(void* lb_envoy_ptr,
                                                               uint32_t priority);
bool envoy_dynamic_module_callback_lb_get_healthy_host_address(void* lb_envoy_ptr,
                                                               uint32_t priority, size_t index,
                                                               buffer* result);

typedef struct {
  char* config;
} lb_config;

const void* envoy_dynamic_module_on_lb_config_new(void* lb_config_envoy_ptr, buffer name,
                                                  buffer config) {
  (void)lb_config_envoy_ptr;
  static const char wanted[] = "eg4j-pinned";
  if (name.length != sizeof(wanted) - 1 || memcmp(name.ptr, wanted, name.length) != 0) {
    return NULL;
  }
  lb_config* c = malloc(sizeof(lb_config));
  if (c == NULL) {
    return NULL;
  }
  c->config = malloc(config.length + 1);
  if (c->config == NULL) {
    free(c);
    return NULL;
  }
  if (config.length > 0) {
    memcpy(c->config, config.ptr, config.length);
  }
  c->config[config.length] = 0;
  return c;
}

void envoy_dynamic_module_on_lb_config_destroy(const void* config) {
  lb_config* c = (lb_config*)config;
  free(c->config);
  free(c);
}

/* One balancer per worker: it only needs the configuration. */
const void* envoy_dynamic_module_on_lb_new(const void* config, void* lb_envoy_ptr) {
  (void)lb_envoy_ptr;
  return config;
}

/* True when the config holds the address as a whole (not inside a longer number or address). */
static bool config_names(const char* config, buffer address) {
  for (const char* p = config; *p != 0; p++) {
    if (strncmp(p, address.ptr, address.length) != 0) {
      continue;
    }
    char before = p == config ? ' ' : p[-1];
    char after = p[address.length];
    if ((before < '0' || before > '9') && before != '.' && (after < '0' || after > '9')) {
      return true;
    }
  }
  return false;
}

bool envoy_dynamic_module_on_lb_choose_host(void* lb_envoy_ptr, const void* lb, void* context,
                                            uint32_t* result_priority, uint32_t* result_index) {
  (void)context;
  const lb_config* c = (const lb_config*)lb;
  size_t count = envoy_dynamic_module_callback_lb_get_healthy_hosts_count(lb_envoy_ptr, 0);
  if (count == 0) {
    return false;
  }
  *result_priority = 0;
  *result_index = 0;
  for (size_t i = 0; i < count; i++) {
    buffer address = {NULL, 0};
    if (envoy_dynamic_module_callback_lb_get_healthy_host_address(lb_envoy_ptr, 0, i, &address) &&
        address.length > 0 && config_names(c->config, address)) {
      *result_index = (uint32_t)i;
      break;
    }
  }
  return true;
}

void envoy_dynamic_module_on_lb_on_host_membership_update(void* lb_envoy_ptr, const void* lb,
                                                          size_t added, size_t removed) {
  (void)lb_envoy_ptr; (void)lb; (void)added; (void)removed;
}

void envoy_dynamic_module_on_lb_destroy(const void* lb) { (void)lb; }
