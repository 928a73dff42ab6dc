package io.rebound.multijvm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/** Load while nodes come and go: a batch of items every so often, through whichever node takes it. */
final class Producer implements AutoCloseable {
  private final List<String> ids = Collections.synchronizedList(new ArrayList<>());
  private final Thread thread;
  private volatile boolean running = true;
  private volatile Throwable failure;

  Producer(Supplier<List<NodeProcess>> nodes, int batch, Duration every) {
    this(nodes, Items.QUEUE, batch, every);
  }

  Producer(Supplier<List<NodeProcess>> nodes, String queue, int batch, Duration every) {
    thread = new Thread(() -> {
      try {
        for (int from = 0; running; from += batch) {
          ids.addAll(Items.enqueue(nodes, queue, from, from + batch, Duration.ofSeconds(90)));
          Thread.sleep(every.toMillis());
        }
      } catch (Throwable e) {
        failure = e;
      }
    }, "producer");
    thread.start();
  }

  int enqueued() {
    return ids.size();
  }

  /** Stops producing; answers every id that a node accepted. */
  List<String> finish() throws InterruptedException {
    running = false;
    thread.join(120_000);
    if (failure != null) {
      throw new AssertionError("the producer failed", failure);
    }
    return List.copyOf(ids);
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(120_000);
  }
}
