package io.rebound.multijvm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback in front of the PostgreSQL server, so that a test can cut the database
 * off from the nodes without touching the server: {@link #cut()} closes every live connection and
 * refuses new ones (accepted and closed at once) until {@link #restore()}. Plain sockets, two copy
 * threads per connection.
 */
final class DatabaseProxy implements AutoCloseable {
  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private final Set<Socket> live = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private volatile boolean cut;

  /** @param target the server's {@code host:port} */
  DatabaseProxy(String target) throws IOException {
    int colon = target.lastIndexOf(':');
    this.targetHost = colon < 0 ? target : target.substring(0, colon);
    this.targetPort = colon < 0 ? 5432 : Integer.parseInt(target.substring(colon + 1));
    this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "db-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Where the nodes connect instead of the server. */
  String address() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** The database goes away for the nodes: live connections break, new ones are refused. */
  void cut() {
    cut = true;
    for (Socket s : live) {
      closeQuietly(s);
    }
  }

  /** The database answers again. */
  void restore() {
    cut = false;
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException closed) {
        return;
      }
      if (cut) {
        closeQuietly(client);
        continue;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(new InetSocketAddress(targetHost, targetPort), 5_000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      live.add(client);
      live.add(upstream);
      if (cut) {
        // cut() ran while this one was connecting and did not see it
        closeQuietly(client);
        closeQuietly(upstream);
      }
      pipe(client, upstream);
      pipe(upstream, client);
    }
  }

  /** Copies from one side to the other until either ends; then both are closed. */
  private void pipe(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n; (n = in.read(buf)) >= 0; ) {
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException ended) {
        // either side closed, or the proxy cut it
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        live.remove(from);
        live.remove(to);
      }
    }, "db-proxy-pipe");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    cut();
  }
}
