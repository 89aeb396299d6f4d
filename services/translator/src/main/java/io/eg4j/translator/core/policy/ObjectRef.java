package io.eg4j.translator.core.policy;

/**
 * A reference a policy makes to another object (a Secret, a ConfigMap, a backend), with the
 * defaults filled by the caller's context: an empty group is the core group, a null namespace is
 * the policy's own.
 *
 * @param group API group, {@code ""} for core
 * @param kind object kind
 * @param name object name
 * @param namespace object namespace, or null for the policy's namespace
 * @param port backend port, or null
 */
public record ObjectRef(String group, String kind, String name, String namespace, Integer port) {
  public ObjectRef {
    group = group == null ? "" : group;
    name = name == null ? "" : name;
  }

  /** A reference to a Secret or ConfigMap (core group). */
  public static ObjectRef core(String kind, String name, String namespace) {
    return new ObjectRef("", kind, name, namespace, null);
  }
}
