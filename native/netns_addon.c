/*
 * flatnet's native addon: the kernel calls Node.js does not expose.
 *
 *  - socketIn(nsPath, family, type, port): a socket created inside another network namespace.
 *    A socket belongs to the namespace it was created in for its whole life, so one Node
 *    process can serve and probe from hundreds of pod namespaces (the workload host) without
 *    a process per pod. Only the calling thread switches namespace, and it switches back
 *    before returning (the Go-world pattern of LockOSThread + setns).
 *  - flock(fd, op): advisory file locks that the kernel releases when the holder dies, which
 *    is what makes the on-disk IPAM store safe across processes without stale lock files.
 *  - nfnlBatch(nsPath, batch, expectAcks, timeoutMs): sends one prebuilt nfnetlink batch (an
 *    nf_tables transaction, built in TypeScript: src/kernel/nft-set-elements.ts) on a netlink
 *    socket inside the namespace and collects the kernel's acknowledgements. It exists for
 *    bulk set elements only, where nft's own parser costs ~7 us per element and the kernel
 *    ~1 us; tables, chains and rules stay with `nft -f`. Runs on a libuv worker thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <sched.h>
#include <string.h>
#include <sys/file.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <poll.h>
#include <linux/netlink.h>

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[768];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static napi_value socket_in(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) { napi_throw_type_error(env, NULL, "socketIn(nsPath, family, type, port)"); return NULL; }
  char path[512];
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "nsPath must be a string"); return NULL;
  }
  int32_t family, type;
  napi_get_value_int32(env, argv[1], &family);
  napi_get_value_int32(env, argv[2], &type);
  int32_t port;
  napi_get_value_int32(env, argv[3], &port);
  int domain = family == 6 ? AF_INET6 : AF_INET;
  int stype = type == 2 ? SOCK_DGRAM : SOCK_STREAM;

  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) return throw_errno(env, path, errno);
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) { int e = errno; close(target); return throw_errno(env, "open own netns", e); }
  if (setns(target, CLONE_NEWNET) != 0) {
    int e = errno; close(target); close(self); return throw_errno(env, "setns", e);
  }
  int fd = socket(domain, stype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int sockErr = errno;
  if (setns(self, CLONE_NEWNET) != 0) {
    /* The thread is stranded in the pod's namespace: nothing safe remains to do. */
    abort();
  }
  close(target);
  close(self);
  if (fd < 0) return throw_errno(env, "socket", sockErr);
  /* port >= 0: bind to the wildcard address (and listen, for TCP) so Node can adopt the fd
   * as a server with listen({fd}) / bind({fd}); port < 0: an unbound client socket. */
  if (port >= 0) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc;
    if (domain == AF_INET6) {
      struct sockaddr_in6 a6 = {0};
      a6.sin6_family = AF_INET6;
      a6.sin6_port = htons((uint16_t)port);
      a6.sin6_addr = in6addr_any;
      rc = bind(fd, (struct sockaddr *)&a6, sizeof a6);
    } else {
      struct sockaddr_in a4 = {0};
      a4.sin_family = AF_INET;
      a4.sin_port = htons((uint16_t)port);
      a4.sin_addr.s_addr = htonl(INADDR_ANY);
      rc = bind(fd, (struct sockaddr *)&a4, sizeof a4);
    }
    if (rc == 0 && stype == SOCK_STREAM) rc = listen(fd, 511);
    if (rc != 0) { int e = errno; close(fd); return throw_errno(env, "bind/listen", e); }
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

/* flock(fd, op) with op "ex" | "sh" | "un"; non-blocking: returns false when held elsewhere. */
static napi_value do_flock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  char op[4] = {0};
  size_t len;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_value_string_utf8(env, argv[1], op, sizeof op, &len);
  int how = strcmp(op, "un") == 0 ? LOCK_UN : strcmp(op, "sh") == 0 ? LOCK_SH : LOCK_EX;
  if (how != LOCK_UN) how |= LOCK_NB;
  napi_value out;
  if (flock(fd, how) != 0) {
    if (errno == EWOULDBLOCK) { napi_get_boolean(env, false, &out); return out; }
    return throw_errno(env, "flock", errno);
  }
  napi_get_boolean(env, true, &out);
  return out;
}

/* closeFd(fd): for sockets that were created but never handed to a Node handle. */
static napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  napi_get_value_int32(env, argv[0], &fd);
  close(fd);
  return NULL;
}

/* ---- nfnlBatch -------------------------------------------------------------------------- */

typedef struct {
  char path[512];
  uint8_t *batch;
  size_t len;
  int expect;
  int timeout_ms;
  /* results: pairs (seq, errno) for every ack or error the kernel sent, in order */
  int32_t *results;
  int nresults;
  int err;
  char where[48];
  napi_deferred deferred;
  napi_async_work work;
} BatchWork;

static int netlink_socket_in(const char *path, int *err, const char **where) {
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) { *err = errno; *where = "open netns"; return -1; }
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) { *err = errno; *where = "open own netns"; close(target); return -1; }
  if (setns(target, CLONE_NEWNET) != 0) {
    *err = errno; *where = "setns"; close(target); close(self); return -1;
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  int sockErr = errno;
  if (setns(self, CLONE_NEWNET) != 0) abort(); /* stranded in another namespace */
  close(target);
  close(self);
  if (fd < 0) { *err = sockErr; *where = "netlink socket"; }
  return fd;
}

static void batch_execute(napi_env env, void *data) {
  (void)env;
  BatchWork *w = data;
  const char *where = "";
  int fd = netlink_socket_in(w->path, &w->err, &where);
  if (fd < 0) { snprintf(w->where, sizeof w->where, "%s", where); return; }
  /* One datagram carries the whole transaction: make room for it (root may force). */
  int big = (int)(w->len + 65536);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) != 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  int rbig = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rbig, sizeof rbig) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rbig, sizeof rbig);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    w->err = errno; snprintf(w->where, sizeof w->where, "bind"); close(fd); return;
  }
  ssize_t sent = sendto(fd, w->batch, w->len, 0, (struct sockaddr *)&sa, sizeof sa);
  if (sent < 0 || (size_t)sent != w->len) {
    w->err = sent < 0 ? errno : EMSGSIZE; snprintf(w->where, sizeof w->where, "send"); close(fd); return;
  }
  /* Every message asked for an ack; a failed commit answers once, for the whole batch. */
  size_t cap = 1 << 16;
  uint8_t *buf = malloc(cap);
  if (!buf) { w->err = ENOMEM; snprintf(w->where, sizeof w->where, "malloc"); close(fd); return; }
  while (w->nresults < w->expect) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int pr = poll(&p, 1, w->timeout_ms);
    if (pr == 0) { w->err = ETIMEDOUT; snprintf(w->where, sizeof w->where, "waiting for acks"); break; }
    if (pr < 0) { if (errno == EINTR) continue; w->err = errno; snprintf(w->where, sizeof w->where, "poll"); break; }
    ssize_t n = recv(fd, buf, cap, 0);
    if (n < 0) { if (errno == EINTR) continue; w->err = errno; snprintf(w->where, sizeof w->where, "recv"); break; }
    int stop = 0;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      struct nlmsgerr *e = NLMSG_DATA(h);
      if (w->nresults < w->expect + 1) {
        w->results[2 * w->nresults] = (int32_t)e->msg.nlmsg_seq;
        w->results[2 * w->nresults + 1] = -e->error;
        w->nresults++;
      }
      /* A batch-level failure (the commit, or a malformed batch) ends the exchange. */
      if (e->error != 0 && e->msg.nlmsg_type < 0x100) stop = 1;
    }
    if (stop) break;
  }
  free(buf);
  close(fd);
}

static void batch_complete(napi_env env, napi_status status, void *data) {
  BatchWork *w = data;
  if (status != napi_ok || w->err != 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "nfnetlink %s: %s", w->where, strerror(status != napi_ok ? ECANCELED : w->err));
    napi_value m, e;
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
    napi_create_error(env, NULL, m, &e);
    napi_reject_deferred(env, w->deferred, e);
  } else {
    napi_value arr;
    napi_create_array_with_length(env, (size_t)w->nresults, &arr);
    for (int i = 0; i < w->nresults; i++) {
      napi_value pair, seq, errv;
      napi_create_array_with_length(env, 2, &pair);
      napi_create_int32(env, w->results[2 * i], &seq);
      napi_create_int32(env, w->results[2 * i + 1], &errv);
      napi_set_element(env, pair, 0, seq);
      napi_set_element(env, pair, 1, errv);
      napi_set_element(env, arr, (uint32_t)i, pair);
    }
    napi_resolve_deferred(env, w->deferred, arr);
  }
  napi_delete_async_work(env, w->work);
  free(w->batch);
  free(w->results);
  free(w);
}

static napi_value nfnl_batch(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) { napi_throw_type_error(env, NULL, "nfnlBatch(nsPath, batch, expectAcks, timeoutMs)"); return NULL; }
  BatchWork *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "nfnlBatch", ENOMEM);
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], w->path, sizeof w->path, &len) != napi_ok) {
    free(w); napi_throw_type_error(env, NULL, "nsPath must be a string"); return NULL;
  }
  void *bytes;
  size_t blen;
  bool isBuf = false;
  napi_is_buffer(env, argv[1], &isBuf);
  if (!isBuf || napi_get_buffer_info(env, argv[1], &bytes, &blen) != napi_ok) {
    free(w); napi_throw_type_error(env, NULL, "batch must be a Buffer"); return NULL;
  }
  int32_t expect, timeout;
  napi_get_value_int32(env, argv[2], &expect);
  napi_get_value_int32(env, argv[3], &timeout);
  if (expect < 0) expect = 0;
  /* Copied: the worker thread must not touch memory the JS heap may move or free. */
  w->batch = malloc(blen ? blen : 1);
  w->results = malloc(sizeof(int32_t) * 2 * ((size_t)expect + 1));
  if (!w->batch || !w->results) { free(w->batch); free(w->results); free(w); return throw_errno(env, "nfnlBatch", ENOMEM); }
  memcpy(w->batch, bytes, blen);
  w->len = blen;
  w->expect = expect;
  w->timeout_ms = timeout > 0 ? timeout : 30000;
  napi_value promise, name;
  napi_create_promise(env, &w->deferred, &promise);
  napi_create_string_utf8(env, "nfnlBatch", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, batch_execute, batch_complete, w, &w->work);
  napi_queue_async_work(env, w->work);
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"socketIn", NULL, socket_in, NULL, NULL, NULL, napi_default, NULL},
    {"flock", NULL, do_flock, NULL, NULL, NULL, napi_default, NULL},
    {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_default, NULL},
    {"nfnlBatch", NULL, nfnl_batch, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
