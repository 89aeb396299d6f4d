package io.eg4j.provisioner.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.InfraIr;
import io.eg4j.provisioner.core.render.ProxyResourceRenderer;
import io.eg4j.provisioner.core.render.RenderSettings;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The one behaviour the real API server cannot show: a server without server-side apply. Every
 * kube-apiserver since 1.22 serves it, so only fabric8's mock server (which answers 415) can
 * exercise the get-then-create-or-update fallback; everything else is in {@link
 * KubernetesFleetProvisionerIT} against the real server.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesFleetProvisionerMockIT {
  static KubernetesMockServer server;
  static KubernetesClient client;

  @Test
  void withoutServerSideApplyTheFleetIsCreatedAndUpdated() throws Exception {
    String ns = "eg-system";
    ProxyResourceRenderer renderer =
        new ProxyResourceRenderer(RenderSettings.of(ns, "xds." + ns, 18000));
    KubernetesFleetProvisioner p =
        new KubernetesFleetProvisioner(
            client, renderer, false, () -> true, new SimpleMeterRegistry());
    InfraIr ir =
        new InfraIr(
            "default/eg",
            ns,
            "default",
            "eg",
            List.of(new InfraIr.ProxyListenerIr("http", "HTTP", 10080, 80)),
            Map.of(),
            Map.of(),
            null);
    String name = renderer.resourceName(ir);
    p.apply(ir);
    assertThat(client.apps().deployments().inNamespace(ns).withName(name).get()).isNotNull();
    // Server-side apply was tried first, with our field manager; the mock answered 415.
    assertThat(recordedRequests())
        .anySatisfy(
            r -> {
              assertThat(r.getMethod()).isEqualTo("PATCH");
              assertThat(r.getHeader("Content-Type")).startsWith("application/apply-patch+yaml");
              assertThat(r.getPath()).contains("fieldManager=eg4j-provisioner", "force=true");
            });
    // An update goes through the fallback too.
    p.apply(
        new InfraIr(
            "default/eg",
            ns,
            "default",
            "eg",
            List.of(new InfraIr.ProxyListenerIr("http", "HTTP", 10080, 8080)),
            Map.of(),
            Map.of(),
            null));
    assertThat(client.services().inNamespace(ns).withName(name).get().getSpec().getPorts())
        .extracting(port -> port.getPort())
        .containsExactly(8080);
    p.remove("default/eg");
    assertThat(client.apps().deployments().inNamespace(ns).withName(name).get()).isNull();
    p.close();
  }

  private List<RecordedRequest> recordedRequests() throws InterruptedException {
    List<RecordedRequest> out = new ArrayList<>();
    int n = server.getRequestCount();
    for (int i = 0; i < n; i++) {
      RecordedRequest r = server.takeRequest(1, TimeUnit.SECONDS);
      if (r == null) {
        break;
      }
      out.add(r);
    }
    return out;
  }
}
