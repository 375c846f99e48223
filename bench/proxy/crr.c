/*
 * TCP connection rate, like netperf's TCP_CRR: connect, send one byte, read the one-byte
 * answer, close, repeat. Every connection is new to conntrack and to the Service NAT, so the
 * rate measures exactly the per-connection cost the service proxy adds (its nat chains only
 * see first packets). Written in C so the time is the kernel's, not a runtime's.
 * Both ends close with SO_LINGER 0 (RST): no TIME_WAIT, so ports are not exhausted.
 * The server answers with the index of the port the connection came to, so the client can
 * count how connections spread over a Service's endpoints.
 *
 *   crr server PORT [PORT...]           serve each port (answer '0' + index of the port)
 *   crr client IP PORT SECONDS [MAX]    print {"connections":N,"seconds":S,"rate":R,
 *                                        "answers":[n0,n1,...],"errors":E}; stops after MAX
 *                                        connections when given
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXPORTS 16

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void abortive(int fd) {
  struct linger l = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

static int serve(int n, char **ports) {
  struct pollfd fds[MAXPORTS];
  if (n > MAXPORTS) n = MAXPORTS;
  for (int i = 0; i < n; i++) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(ports[i])), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1024) < 0) {
      perror("crr server");
      return 1;
    }
    fds[i].fd = s;
    fds[i].events = POLLIN;
  }
  for (;;) {
    if (poll(fds, n, -1) < 0) continue;
    for (int i = 0; i < n; i++) {
      if (!(fds[i].revents & POLLIN)) continue;
      int c = accept(fds[i].fd, NULL, NULL);
      if (c < 0) continue;
      char b;
      if (read(c, &b, 1) == 1) {
        b = (char)('0' + i);
        if (write(c, &b, 1) != 1) { /* the client went away */ }
      }
      abortive(c);
      close(c);
    }
  }
}

static int client(const char *ip, int port, double seconds, long max) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
    fprintf(stderr, "crr client: bad address %s\n", ip);
    return 1;
  }
  long answers[MAXPORTS] = {0};
  long n = 0, errors = 0;
  double start = now(), end = start + seconds, t = start;
  while (t < end && (max <= 0 || n < max)) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char b = 'x';
    if (connect(s, (struct sockaddr *)&a, sizeof a) == 0 && write(s, &b, 1) == 1 && read(s, &b, 1) == 1) {
      n++;
      int idx = b - '0';
      if (idx >= 0 && idx < MAXPORTS) answers[idx]++;
    } else {
      errors++;
      if (errors > 1000 && errors > n) {
        fprintf(stderr, "crr client: %s\n", strerror(errno));
        return 1;
      }
    }
    abortive(s);
    close(s);
    t = now();
  }
  double elapsed = t - start;
  printf("{\"connections\":%ld,\"seconds\":%.3f,\"rate\":%.1f,\"errors\":%ld,\"answers\":[", n, elapsed, n / elapsed,
         errors);
  for (int i = 0; i < MAXPORTS; i++) printf("%s%ld", i ? "," : "", answers[i]);
  printf("]}\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "server") == 0) return serve(argc - 2, argv + 2);
  if (argc >= 5 && strcmp(argv[1], "client") == 0)
    return client(argv[2], atoi(argv[3]), atof(argv[4]), argc >= 6 ? atol(argv[5]) : 0);
  fprintf(stderr, "usage: crr server PORT [PORT...] | crr client IP PORT SECONDS [MAX]\n");
  return 2;
}
