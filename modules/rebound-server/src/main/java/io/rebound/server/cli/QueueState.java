package io.rebound.server.cli;

/** What pause and resume share. */
final class QueueState {
  private QueueState() {}

  static int change(NodeCommand command, NodeClient client, String queue, String action) {
    NodeClient.Reply reply = client.post("/v1/queues/" + NodeClient.segment(queue) + "/" + action, null);
    if (command.node.json) {
      command.out().println(reply.body());
    } else if (reply.json().path("paused").asBoolean()) {
      command.out().println("Queue " + queue + " is paused: it accepts items but starts no attempts (until `rebound resume " + queue + "`).");
    } else {
      command.out().println("Queue " + queue + " is running.");
    }
    return 0;
  }
}
