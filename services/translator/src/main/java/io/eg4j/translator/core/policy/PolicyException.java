package io.eg4j.translator.core.policy;

/**
 * A policy that cannot be enforced as written: the message becomes its {@code Accepted=False}
 * condition, and a SecurityPolicy's routes fail closed.
 */
public final class PolicyException extends Exception {
  private static final long serialVersionUID = 1L;

  /** A policy error with a message for the user (it names the field at fault). */
  public PolicyException(String message) {
    super(message, null, false, false);
  }
}
