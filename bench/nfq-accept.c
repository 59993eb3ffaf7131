/*
 * Reference NFQUEUE consumer for `npm run bench:inline`: binds one queue,
 * copies each packet whole to user space and accepts it with its own
 * verdict, as the classic libnetfilter_queue loop does. It does no other
 * work. kapu's in-line throughput is compared with its throughput.
 *
 *   nfq-accept [-q NUM] [-g]
 *     -q NUM  queue number (default 0)
 *     -g      take GSO packets whole (NFQA_CFG_F_GSO) instead of segmented
 *
 * Prints "ready" once bound, and the packet count on SIGTERM or SIGINT.
 * Build: cc -O2 -o nfq-accept nfq-accept.c -lnetfilter_queue -lnfnetlink
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libnfnetlink/libnfnetlink.h>

/* Same defaults as kapu's nfq.queue-maxlen and its socket buffer size. */
#define QUEUE_MAXLEN 4096
#define RECEIVE_BUFFER_BYTES (8 * 1024 * 1024)
/* Large enough for one 64 KB GSO packet with its netlink headers. */
#define READ_BUFFER_BYTES (256 * 1024)

static volatile sig_atomic_t stop_requested = 0;
static unsigned long long packet_count = 0;
static unsigned long long byte_count = 0;

static void on_stop_signal(int signal_number) {
  (void)signal_number;
  stop_requested = 1;
}

static int accept_packet(struct nfq_q_handle *queue, struct nfgenmsg *message,
                         struct nfq_data *packet, void *data) {
  (void)message;
  (void)data;
  struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(packet);
  if (header == NULL) return -1;
  unsigned char *payload = NULL;
  int length = nfq_get_payload(packet, &payload);
  if (length > 0) byte_count += (unsigned long long)length;
  packet_count++;
  return nfq_set_verdict(queue, ntohl(header->packet_id), NF_ACCEPT, 0, NULL);
}

int main(int argc, char **argv) {
  int queue_number = 0;
  int take_gso = 0;
  int option;
  while ((option = getopt(argc, argv, "q:g")) != -1) {
    if (option == 'q') {
      queue_number = atoi(optarg);
    } else if (option == 'g') {
      take_gso = 1;
    } else {
      fprintf(stderr, "usage: %s [-q NUM] [-g]\n", argv[0]);
      return 2;
    }
  }

  struct nfq_handle *handle = nfq_open();
  if (handle == NULL) {
    perror("nfq_open failed");
    return 1;
  }
  struct nfq_q_handle *queue = nfq_create_queue(handle, (uint16_t)queue_number, accept_packet, NULL);
  if (queue == NULL) {
    fprintf(stderr, "nfq_create_queue failed for queue %d: %s\n", queue_number, strerror(errno));
    nfq_close(handle);
    return 1;
  }
  if (nfq_set_mode(queue, NFQNL_COPY_PACKET, 0xffff) < 0) {
    perror("nfq_set_mode failed");
    return 1;
  }
  nfq_set_queue_maxlen(queue, QUEUE_MAXLEN);
  if (take_gso && nfq_set_queue_flags(queue, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO) < 0) {
    perror("nfq_set_queue_flags(NFQA_CFG_F_GSO) failed");
    return 1;
  }

  int fd = nfq_fd(handle);
  nfnl_rcvbufsiz(nfq_nfnlh(handle), RECEIVE_BUFFER_BYTES);
  int on = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof(on));

  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = on_stop_signal;
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);

  printf("ready\n");
  fflush(stdout);

  static char buffer[READ_BUFFER_BYTES];
  while (!stop_requested) {
    ssize_t received = recv(fd, buffer, sizeof(buffer), 0);
    if (received < 0) {
      if (errno == EINTR || errno == ENOBUFS) continue;
      perror("recv failed");
      break;
    }
    nfq_handle_packet(handle, buffer, (int)received);
  }

  printf("packets %llu bytes %llu\n", packet_count, byte_count);
  nfq_destroy_queue(queue);
  nfq_close(handle);
  return 0;
}
