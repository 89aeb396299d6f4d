/**
 * Host mode: the provisioner runs one local {@code envoy} process per fleet instead of creating
 * Kubernetes objects. This package is the host counterpart of {@code k8s}: it does the I/O that
 * {@code core} plans.
 */
package io.eg4j.provisioner.host;
