package io.eg4j.model.ir.extension;

import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.security.PolicyRetryIr;
import java.util.List;

/**
 * The EnvoyExtensionPolicy in effect on a route: its extensions, each one an HTTP filter named
 * after the policy and its position in the list, so that two policies never share a filter.
 *
 * @param policy the policy's id, {@code envoyextensionpolicy/<namespace>/<name>}
 * @param lua the Lua scripts, in the policy's order
 * @param extProc the external processors, in the policy's order
 * @param wasm the Wasm extensions, in the policy's order
 * @param dynamicModules the dynamic module filters, in the policy's order
 */
public record ExtensionIr(
    String policy,
    List<LuaIr> lua,
    List<ExtProcIr> extProc,
    List<WasmIr> wasm,
    List<DynamicModuleIr> dynamicModules) {
  public ExtensionIr {
    lua = lua == null ? List.of() : List.copyOf(lua);
    extProc = extProc == null ? List.of() : List.copyOf(extProc);
    wasm = wasm == null ? List.of() : List.copyOf(wasm);
    dynamicModules = dynamicModules == null ? List.of() : List.copyOf(dynamicModules);
  }

  /** A policy without dynamic modules. */
  public ExtensionIr(String policy, List<LuaIr> lua, List<ExtProcIr> extProc, List<WasmIr> wasm) {
    this(policy, lua, extProc, wasm, List.of());
  }

  /** This policy with other Wasm extensions (the rest unchanged). */
  public ExtensionIr withWasm(List<WasmIr> other) {
    return new ExtensionIr(policy, lua, extProc, other, dynamicModules);
  }

  /** A policy with Lua scripts and external processors only. */
  public ExtensionIr(String policy, List<LuaIr> lua, List<ExtProcIr> extProc) {
    this(policy, lua, extProc, List.of(), List.of());
  }

  /** True when the policy sets no extension that needs a filter. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isEmpty() {
    return lua.isEmpty() && extProc.isEmpty() && wasm.isEmpty() && dynamicModules.isEmpty();
  }

  /**
   * One dynamic module filter ({@code spec.dynamicModule[]}): a shared library registered in the
   * EnvoyProxy of the policy's Gateway ({@code spec.dynamicModules}), loaded by Envoy's dynamic
   * modules HTTP filter, from a local path or from a URL Envoy downloads and checks.
   *
   * @param name the filter name suffix, {@code <policy>/dynamic-module/<index>}
   * @param filterName the filter implementation within the module ({@code ""} when unset)
   * @param config the filter's {@code config} as JSON text, handed to the module; null when unset
   * @param terminalFilter true when the module answers requests itself, without an upstream
   * @param doNotClose true to keep the module loaded when no filter uses it any more
   * @param loadGlobally true to load the module's symbols globally ({@code RTLD_GLOBAL})
   * @param path the module's absolute path on the proxy's filesystem; null for a remote module
   * @param url where Envoy downloads a remote module; null for a local one
   * @param sha256 the remote module's SHA-256, hex; null for a local one
   * @param cluster the cluster Envoy downloads a remote module through; null for a local one
   */
  public record DynamicModuleIr(
      String name,
      String filterName,
      String config,
      boolean terminalFilter,
      boolean doNotClose,
      boolean loadGlobally,
      String path,
      String url,
      String sha256,
      RouteDestinationIr cluster) {
    public DynamicModuleIr {
      filterName = filterName == null ? "" : filterName;
    }
  }

  /**
   * One Wasm extension ({@code spec.wasm[]}): a module Envoy fetches over HTTP from {@code uri}
   * through {@code cluster}, checks against {@code sha256}, and runs in the V8 runtime.
   *
   * @param name the filter name suffix and VM id, {@code <policy>/wasm/<index>}
   * @param pluginName the plugin name handed to the module: the extension's {@code name}, else
   *     {@code name}
   * @param rootId the root context id, or null
   * @param configuration the extension's {@code config} as JSON text, or null when unset
   * @param failOpen true to let requests through when the module fails
   * @param uri where Envoy fetches the module
   * @param sha256 the module's SHA-256, hex; Envoy refuses a module that does not match
   * @param cluster the cluster Envoy fetches it through
   * @param hostKeys environment variables of the Envoy process handed to the module
   * @param pullSecret for a module in an OCI image ({@code uri} {@code oci://…}, pinned to the
   *     image's manifest digest, and no cluster: only the control plane's Wasm cache can serve it),
   *     the {@code .dockerconfigjson} entry of the image's registry from the policy's pull secret,
   *     or null for an anonymous pull. It crosses the bus only inside the sealed xDS IR (DESIGN.md
   *     invariant 6) and never reaches Envoy.
   * @param caCertificate the PEM CA bundle the module's HTTPS server or image registry is verified
   *     with besides the system's trusted roots ({@code code.http.tls} / {@code code.image.tls}),
   *     or null for the system's roots only
   */
  public record WasmIr(
      String name,
      String pluginName,
      String rootId,
      String configuration,
      boolean failOpen,
      String uri,
      String sha256,
      RouteDestinationIr cluster,
      List<String> hostKeys,
      @io.eg4j.model.bus.SecretMaterial String pullSecret,
      String caCertificate) {
    public WasmIr {
      hostKeys = hostKeys == null ? List.of() : List.copyOf(hostKeys);
    }

    /** An extension whose module is fetched over HTTP(S). */
    public WasmIr(
        String name,
        String pluginName,
        String rootId,
        String configuration,
        boolean failOpen,
        String uri,
        String sha256,
        RouteDestinationIr cluster,
        List<String> hostKeys) {
      this(name, pluginName, rootId, configuration, failOpen, uri, sha256, cluster, hostKeys, null);
    }

    /** An extension without a CA bundle of its own. */
    public WasmIr(
        String name,
        String pluginName,
        String rootId,
        String configuration,
        boolean failOpen,
        String uri,
        String sha256,
        RouteDestinationIr cluster,
        List<String> hostKeys,
        String pullSecret) {
      this(
          name,
          pluginName,
          rootId,
          configuration,
          failOpen,
          uri,
          sha256,
          cluster,
          hostKeys,
          pullSecret,
          null);
    }

    /** True when the module is in an OCI image, which only the control plane's cache serves. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isImage() {
      return uri != null && uri.startsWith("oci://");
    }

    @Override
    public String toString() {
      return "WasmIr[name=" + name + ", uri=" + uri + ", sha256=" + sha256 + "]";
    }
  }

  /**
   * One external processor ({@code spec.extProc[]}): a gRPC service Envoy's ext_proc filter streams
   * the request and response to.
   *
   * @param name the filter name suffix, {@code <policy>/extproc/<index>}
   * @param destination the service's cluster
   * @param authority the gRPC authority, {@code <name>.<namespace>:<port>}
   * @param timeout the gRPC call timeout (the backend's request timeout, else 10s)
   * @param messageTimeout how long to wait for each response of the processor, or null (Envoy's
   *     200ms)
   * @param failOpen true to let requests through when the processor fails
   * @param requestHeaders true to send request headers
   * @param requestBody the request body mode ({@code Streamed}, {@code Buffered}, {@code
   *     BufferedPartial}, {@code FullDuplexStreamed}), or null for none
   * @param requestAttributes the request attributes sent along
   * @param responseHeaders true to send response headers
   * @param responseBody the response body mode, or null for none
   * @param responseAttributes the response attributes sent along
   * @param allowModeOverride true to let the processor change the processing mode
   * @param forwardingNamespaces dynamic metadata namespaces sent to the processor
   * @param receivingNamespaces dynamic metadata namespaces the processor may write
   * @param retry the gRPC call's retry policy, or null
   * @param shadowMode true to send to the processor without waiting for (or applying) its answers
   * @param statusOnError the status answered when the processor fails or cannot be reached, or 0
   *     for Envoy's default (500)
   */
  public record ExtProcIr(
      String name,
      RouteDestinationIr destination,
      String authority,
      DurationIr timeout,
      DurationIr messageTimeout,
      boolean failOpen,
      boolean requestHeaders,
      String requestBody,
      List<String> requestAttributes,
      boolean responseHeaders,
      String responseBody,
      List<String> responseAttributes,
      boolean allowModeOverride,
      List<String> forwardingNamespaces,
      List<String> receivingNamespaces,
      PolicyRetryIr retry,
      boolean shadowMode,
      int statusOnError) {
    public ExtProcIr {
      requestAttributes = requestAttributes == null ? List.of() : List.copyOf(requestAttributes);
      responseAttributes = responseAttributes == null ? List.of() : List.copyOf(responseAttributes);
      forwardingNamespaces =
          forwardingNamespaces == null ? List.of() : List.copyOf(forwardingNamespaces);
      receivingNamespaces =
          receivingNamespaces == null ? List.of() : List.copyOf(receivingNamespaces);
    }
  }

  /**
   * One Lua script ({@code spec.lua[]}).
   *
   * @param name the filter name suffix, {@code <policy>/lua/<index>}
   * @param source the script
   * @param filterContext the script's {@code filterContext} as JSON text (handed to the script per
   *     route), or null when unset
   */
  public record LuaIr(String name, String source, String filterContext) {}
}
