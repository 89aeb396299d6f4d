package io.eg4j.testing.kube;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Runs a test class against the real Kubernetes control plane of {@link KubeApiServer#shared()},
 * with the project's CRDs installed. Test methods and constructors may take a {@link KubeApiServer}
 * parameter.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RealKubernetes.Extension.class)
public @interface RealKubernetes {

  /** Starts the shared server once per JVM and installs the CRDs once. */
  final class Extension implements BeforeAllCallback, ParameterResolver {
    private static volatile boolean crdsInstalled;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
      server();
    }

    private static KubeApiServer server() throws Exception {
      KubeApiServer s = KubeApiServer.shared();
      synchronized (Extension.class) {
        if (!crdsInstalled) {
          s.installProjectCrds();
          crdsInstalled = true;
        }
      }
      return s;
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
      return p.getParameter().getType() == KubeApiServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
      try {
        return server();
      } catch (Exception ex) {
        throw new IllegalStateException(ex);
      }
    }
  }
}
