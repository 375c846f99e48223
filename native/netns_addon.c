/*
 * flatnet's only native code: the two kernel calls Node.js does not expose.
 *
 *  - socketIn(nsPath, family, type, port): a socket created inside another network namespace.
 *    A socket belongs to the namespace it was created in for its whole life, so one Node
 *    process can serve and probe from hundreds of pod namespaces (the workload host) without
 *    a process per pod. Only the calling thread switches namespace, and it switches back
 *    before returning (the Go-world pattern of LockOSThread + setns).
 *  - flock(fd, op): advisory file locks that the kernel releases when the holder dies, which
 *    is what makes the on-disk IPAM store safe across processes without stale lock files.
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

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"socketIn", NULL, socket_in, NULL, NULL, NULL, napi_default, NULL},
    {"flock", NULL, do_flock, NULL, NULL, NULL, napi_default, NULL},
    {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
