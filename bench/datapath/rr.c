/*
 * TCP request/response rate, like netperf's TCP_RR with 1-byte messages: the client sends one
 * byte, waits for the one-byte answer, and repeats for a fixed time, so the rate measures the
 * round-trip latency of the datapath (both directions, every hop) rather than its bandwidth.
 * Written in C so the measured time is the kernel's, not a runtime's event loop.
 *
 *   rr server PORT                 answer every byte on every connection, one at a time
 *   rr client IP PORT SECONDS      print {"transactions":N,"seconds":S,"rate":R}
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int serve(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 16) < 0) {
    perror("rr server");
    return 1;
  }
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    nodelay(c);
    char b;
    while (read(c, &b, 1) == 1) {
      if (write(c, &b, 1) != 1) break;
    }
    close(c);
  }
}

static int client(const char *ip, int port, double seconds) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (s < 0 || inet_pton(AF_INET, ip, &a.sin_addr) != 1 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
    perror("rr client");
    return 1;
  }
  nodelay(s);
  char b = 'x';
  long n = 0;
  double start = now(), elapsed = 0;
  while (elapsed < seconds) {
    if (write(s, &b, 1) != 1 || read(s, &b, 1) != 1) {
      perror("rr client: exchange");
      return 1;
    }
    if ((++n & 255) == 0) elapsed = now() - start;
  }
  elapsed = now() - start;
  printf("{\"transactions\":%ld,\"seconds\":%.6f,\"rate\":%.1f}\n", n, elapsed, n / elapsed);
  close(s);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "server") == 0) return serve(atoi(argv[2]));
  if (argc == 5 && strcmp(argv[1], "client") == 0) return client(argv[2], atoi(argv[3]), atof(argv[4]));
  fprintf(stderr, "usage: rr server PORT | rr client IP PORT SECONDS\n");
  return 2;
}
