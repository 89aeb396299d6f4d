package io.eg4j.standalone.launcher;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The Kafka broker of standalone mode alone in a JVM, for running the five services as separate
 * processes on one host (the performance duel's services mode, issue #16): {@code java -cp
 * <standalone classpath> io.eg4j.standalone.launcher.BrokerMain DATA_DIR PORT CONTROLLER_PORT}. It
 * formats the directory when needed, creates the eg4j topics, prints {@code broker ready
 * 127.0.0.1:PORT} and runs until the process is stopped.
 */
public final class BrokerMain {
  private BrokerMain() {}

  /** Entry point. */
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: BrokerMain DATA_DIR PORT CONTROLLER_PORT");
      System.exit(2);
    }
    EmbeddedKraftBroker broker =
        EmbeddedKraftBroker.start(
            Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  broker.close();
                  stopped.countDown();
                }));
    System.out.println("broker ready " + broker.bootstrapServers());
    System.out.flush();
    stopped.await();
  }
}
