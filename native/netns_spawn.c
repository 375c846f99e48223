/*
 * netns_spawn: a small, long-lived helper that starts commands for a Node.js process,
 * optionally inside another network namespace. Node forks itself for every child process
 * (libuv), and fork costs grow with the parent's memory: ~2 ms for a fresh Node, ~30 ms for
 * one holding a few hundred MB (a lab agent serving many pods). This process stays ~1 MB, so
 * its fork is cheap whatever the agent's size; and it enters the namespace with a plain
 * setns(2), which also covers /proc/PID/ns/net paths without nsenter.
 *
 * Protocol on stdin/stdout, little-endian u32 lengths, requests served in order:
 *   request   u32 id, u32 len + netns path (len 0: stay), u32 argc, argc x (u32 len + arg),
 *             u32 envc, envc x (u32 len + "KEY=VALUE") (envc 0: inherit), u32 len + stdin
 *   response  u32 id, i32 status (exit code, 128+signal, or -1 if it could not start),
 *             u32 len + stdout, u32 len + stderr
 * The helper exits when its stdin closes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct buf {
  char *data;
  size_t len, cap;
};

static void add(struct buf *b, const void *p, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (b->len + n + 1 > cap) cap *= 2;
    b->data = realloc(b->data, cap);
    if (!b->data) _exit(70);
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = 0;
}

static int read_full(int fd, void *p, size_t n) {
  char *c = p;
  while (n > 0) {
    ssize_t r = read(fd, c, n);
    if (r == 0) return -1;
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    c += r;
    n -= (size_t)r;
  }
  return 0;
}

static void write_full(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(0); /* the agent is gone */
    }
    c += w;
    n -= (size_t)w;
  }
}

static uint32_t u32(void) {
  unsigned char b[4];
  if (read_full(0, b, 4) != 0) exit(0);
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static char *bytes(uint32_t *len_out) {
  uint32_t n = u32();
  char *s = malloc((size_t)n + 1);
  if (!s || (n && read_full(0, s, n) != 0)) exit(0);
  s[n] = 0;
  if (len_out) *len_out = n;
  return s;
}

static void put_u32(struct buf *b, uint32_t v) {
  unsigned char c[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};
  add(b, c, 4);
}

static void child(const char *ns, char **argv, char **envp, int in, int out, int err) {
  dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  if (*ns) {
    int fd = open(ns, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      dprintf(2, "Cannot open network namespace \"%s\": %s\n", ns, strerror(errno));
      _exit(127);
    }
    close(fd);
  }
  execvpe(argv[0], argv, envp);
  dprintf(2, "cannot exec %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

static void serve(void) {
  uint32_t id = u32();
  char *ns = bytes(NULL);
  uint32_t argc = u32();
  char **argv = calloc((size_t)argc + 1, sizeof *argv);
  for (uint32_t i = 0; i < argc; i++) argv[i] = bytes(NULL);
  uint32_t envc = u32();
  char **envp = envc ? calloc((size_t)envc + 1, sizeof *envp) : environ;
  for (uint32_t i = 0; i < envc; i++) envp[i] = bytes(NULL);
  uint32_t inlen;
  char *input = bytes(&inlen);

  struct buf out = {0}, err = {0};
  int32_t status = -1;
  int pin[2], pout[2], perr[2];
  if (argc > 0 && pipe2(pin, O_CLOEXEC) == 0 && pipe2(pout, O_CLOEXEC) == 0 && pipe2(perr, O_CLOEXEC) == 0) {
    pid_t pid = fork();
    if (pid == 0) child(ns, argv, envp, pin[0], pout[1], perr[1]);
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    if (pid < 0) {
      char msg[128];
      int n = snprintf(msg, sizeof msg, "fork: %s\n", strerror(errno));
      add(&err, msg, (size_t)n);
      close(pin[1]);
      close(pout[0]);
      close(perr[0]);
    } else {
      fcntl(pin[1], F_SETFL, O_NONBLOCK);
      size_t sent = 0;
      int in_open = 1, out_open = 1, err_open = 1;
      if (inlen == 0) { close(pin[1]); in_open = 0; }
      while (in_open || out_open || err_open) {
        struct pollfd p[3] = {{in_open ? pin[1] : -1, POLLOUT, 0}, {out_open ? pout[0] : -1, POLLIN, 0},
                              {err_open ? perr[0] : -1, POLLIN, 0}};
        if (poll(p, 3, -1) < 0) {
          if (errno == EINTR) continue;
          break;
        }
        if (in_open && p[0].revents) {
          ssize_t w = write(pin[1], input + sent, inlen - sent);
          if (w > 0) sent += (size_t)w;
          if (w < 0 && errno != EAGAIN && errno != EINTR) sent = inlen; /* child closed stdin */
          if (sent >= inlen) { close(pin[1]); in_open = 0; }
        }
        for (int k = 1; k <= 2; k++) {
          int *open_ = k == 1 ? &out_open : &err_open;
          if (!*open_ || !p[k].revents) continue;
          char tmp[65536];
          ssize_t r = read(p[k].fd, tmp, sizeof tmp);
          if (r > 0) add(k == 1 ? &out : &err, tmp, (size_t)r);
          else if (r == 0 || (errno != EINTR && errno != EAGAIN)) { close(p[k].fd); *open_ = 0; }
        }
      }
      int ws;
      while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
      status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    }
  } else if (argc > 0) {
    char msg[128];
    int n = snprintf(msg, sizeof msg, "pipe: %s\n", strerror(errno));
    add(&err, msg, (size_t)n);
  }

  struct buf res = {0};
  put_u32(&res, id);
  put_u32(&res, (uint32_t)status);
  put_u32(&res, (uint32_t)out.len);
  if (out.len) add(&res, out.data, out.len);
  put_u32(&res, (uint32_t)err.len);
  if (err.len) add(&res, err.data, err.len);
  write_full(1, res.data, res.len);

  free(res.data);
  free(out.data);
  free(err.data);
  free(input);
  for (uint32_t i = 0; i < argc; i++) free(argv[i]);
  free(argv);
  if (envc) {
    for (uint32_t i = 0; i < envc; i++) free(envp[i]);
    free(envp);
  }
  free(ns);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  for (;;) serve();
}
