package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OIDC browser flow of {@link SecurityOidcE2E} with the ID token forwarded in {@code
 * Authorization} ({@code forwardIDToken.header: Authorization}, no access token forwarding): the
 * backend sees {@code Authorization: Bearer <ID token>} and not the access token.
 */
class SecurityOidcIdTokenE2E extends SecurityOidcE2E {
  @Override
  String forwarding() {
    return "forwardIDToken: {header: Authorization}";
  }

  @Override
  void assertForwarded(String echoed) {
    assertThat(echoed).containsPattern("(?i)\"authorization\"\\s*:\\s*\\[\\s*\"Bearer it-1\"");
    assertThat(echoed).doesNotContain("Bearer at-1");
  }
}
