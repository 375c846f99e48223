/*
 * cni_shim: the executable container runtimes run as flatnet-cni / flatnet-ipam (bin/ wraps
 * it). Starting Node costs ~70 ms per call, more than a whole reference bridge ADD, so the
 * shim hands the request to a resident flatnet agent when the config names one, the way
 * Calico's and Cilium's CNI binaries talk to their node agents:
 *
 *   1. read stdin (the network config) whole;
 *   2. find a top-level "agentSocket" string in it with a small JSON scanner (anything the
 *      scanner does not accept simply means "no agent": the slow path reports the error);
 *   3. if set and connect() works, send the request (protocol below), relay the answer's
 *      stdout bytes and exit with its status;
 *   4. otherwise, or if the agent answers FALLBACK (it serves another network namespace than
 *      the one this shim runs in), exec `node <repo>/dist/src/cni/main.js <plugin>` with the
 *      same environment and the config on stdin (a memfd holds it).
 *
 * Protocol (unix stream socket, one request per connection):
 *   request  "FLATNET-CNI/1\n" <plugin> "\n" <netns st_dev>:<netns st_ino> "\n"
 *            then "KEY=VALUE\0" for each CNI_* variable and PATH, then "\0",
 *            then the config bytes up to EOF (the shim shuts down its write side)
 *   answer   "EXIT <status>\n" then the plugin's stdout up to EOF, or "FALLBACK <reason>\n"
 * An agent that accepted the whole request but closed without answering may have done part
 * of the work; the shim then reports CNI error 11 (try again later) instead of re-running it.
 *
 * Usage: cni_shim <plugin-name>   (the name defaults to the basename of argv[0]).
 * FLATNET_NODE overrides the node binary used by the slow path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

/* ---------------------------------------------------------------- buffers and I/O */

struct buf {
  char *data;
  size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (b->len + n + 1 > cap) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
      perror("cni_shim: out of memory");
      exit(1);
    }
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = 0;
}

static void buf_str(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

static int read_all(int fd, struct buf *b) {
  char tmp[65536];
  for (;;) {
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf_add(b, tmp, (size_t)n);
  }
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* ---------------------------------------------------------------- JSON scanner */

/* Just enough JSON to find top-level string members: values are skipped structurally, the
 * wanted member's string is decoded. Returns -1 on anything malformed. */
struct scan {
  const char *p, *end;
};

static void ws(struct scan *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int hex4(struct scan *s, unsigned *out) {
  if (s->end - s->p < 4) return -1;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(s->p[i]);
    if (h < 0) return -1;
    v = v * 16 + (unsigned)h;
  }
  s->p += 4;
  *out = v;
  return 0;
}

static void put_utf8(struct buf *b, unsigned cp) {
  char u[4];
  size_t n;
  if (cp < 0x80) { u[0] = (char)cp; n = 1; }
  else if (cp < 0x800) { u[0] = (char)(0xc0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3f)); n = 2; }
  else if (cp < 0x10000) {
    u[0] = (char)(0xe0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)); u[2] = (char)(0x80 | (cp & 0x3f)); n = 3;
  } else {
    u[0] = (char)(0xf0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); u[3] = (char)(0x80 | (cp & 0x3f)); n = 4;
  }
  buf_add(b, u, n);
}

/* Parse a string at s->p (which must be '"'); decoded into out when out != NULL. */
static int string(struct scan *s, struct buf *out) {
  if (s->p >= s->end || *s->p != '"') return -1;
  s->p++;
  while (s->p < s->end) {
    unsigned char c = (unsigned char)*s->p++;
    if (c == '"') return 0;
    if (c < 0x20) return -1;
    if (c != '\\') {
      if (out) buf_add(out, &c, 1);
      continue;
    }
    if (s->p >= s->end) return -1;
    char e = *s->p++;
    unsigned cp;
    switch (e) {
      case '"': cp = '"'; break;
      case '\\': cp = '\\'; break;
      case '/': cp = '/'; break;
      case 'b': cp = '\b'; break;
      case 'f': cp = '\f'; break;
      case 'n': cp = '\n'; break;
      case 'r': cp = '\r'; break;
      case 't': cp = '\t'; break;
      case 'u':
        if (hex4(s, &cp) < 0) return -1;
        if (cp >= 0xd800 && cp < 0xdc00) {
          unsigned lo;
          if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u') return -1;
          s->p += 2;
          if (hex4(s, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) return -1;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp < 0xe000) {
          return -1;
        }
        break;
      default: return -1;
    }
    if (out) put_utf8(out, cp);
  }
  return -1;
}

static int value(struct scan *s, int depth);

static int in_set(char c, const char *set) { return c != 0 && strchr(set, c) != NULL; }

static int literal(struct scan *s) {
  const char *start = s->p;
  while (s->p < s->end && in_set(*s->p, "+-.0123456789eEtruefalsn")) s->p++;
  size_t n = (size_t)(s->p - start);
  if (n == 0) return -1;
  if ((n == 4 && !memcmp(start, "true", 4)) || (n == 5 && !memcmp(start, "false", 5)) ||
      (n == 4 && !memcmp(start, "null", 4)))
    return 0;
  for (const char *q = start; q < s->p; q++)
    if (!in_set(*q, "+-.0123456789eE")) return -1;
  return 0;
}

static int container(struct scan *s, int depth, char close, int is_object) {
  s->p++;
  ws(s);
  if (s->p < s->end && *s->p == close) { s->p++; return 0; }
  for (;;) {
    ws(s);
    if (is_object) {
      if (string(s, NULL) < 0) return -1;
      ws(s);
      if (s->p >= s->end || *s->p++ != ':') return -1;
    }
    if (value(s, depth + 1) < 0) return -1;
    ws(s);
    if (s->p >= s->end) return -1;
    char c = *s->p++;
    if (c == close) return 0;
    if (c != ',') return -1;
  }
}

static int value(struct scan *s, int depth) {
  if (depth > 64) return -1;
  ws(s);
  if (s->p >= s->end) return -1;
  switch (*s->p) {
    case '"': return string(s, NULL);
    case '{': return container(s, depth, '}', 1);
    case '[': return container(s, depth, ']', 0);
    default: return literal(s);
  }
}

/* The decoded value of top-level string member `key` (last one wins, as in JSON.parse);
 * NULL when absent, not a string, or the document is malformed. Caller frees. */
static char *top_level_string(const char *json, size_t len, const char *key) {
  struct scan s = {json, json + len};
  char *found = NULL;
  ws(&s);
  if (s.p >= s.end || *s.p != '{') return NULL;
  s.p++;
  ws(&s);
  if (s.p < s.end && *s.p == '}') return NULL;
  for (;;) {
    ws(&s);
    struct buf k = {0};
    if (string(&s, &k) < 0) goto bad_key;
    ws(&s);
    if (s.p >= s.end || *s.p++ != ':') goto bad_key;
    ws(&s);
    if (k.data && !strcmp(k.data, key) && s.p < s.end && *s.p == '"') {
      struct buf v = {0};
      if (string(&s, &v) < 0) { free(v.data); goto bad_key; }
      free(found);
      found = v.data ? v.data : strdup("");
    } else if (value(&s, 1) < 0) {
      goto bad_key;
    } else if (k.data && !strcmp(k.data, key)) {
      free(found); /* a later non-string value overrides an earlier string */
      found = NULL;
    }
    free(k.data);
    ws(&s);
    if (s.p >= s.end) break;
    char c = *s.p++;
    if (c == '}') {
      ws(&s);
      if (s.p != s.end) break; /* trailing garbage */
      return found;
    }
    if (c != ',') break;
    continue;
  bad_key:
    free(k.data);
    break;
  }
  free(found);
  return NULL;
}

/* ---------------------------------------------------------------- error output */

static void cni_error(const char *version, int code, const char *msg) {
  struct buf out = {0};
  buf_str(&out, "{\"cniVersion\":\"");
  buf_str(&out, version);
  buf_str(&out, "\",\"code\":");
  char n[16];
  snprintf(n, sizeof n, "%d", code);
  buf_str(&out, n);
  buf_str(&out, ",\"msg\":\"");
  for (const char *p = msg; *p; p++) {
    if (*p == '"' || *p == '\\') { buf_add(&out, "\\", 1); buf_add(&out, p, 1); }
    else if ((unsigned char)*p < 0x20) buf_add(&out, " ", 1);
    else buf_add(&out, p, 1);
  }
  buf_str(&out, "\"}");
  write_all(1, out.data, out.len);
  free(out.data);
}

static const char *version_of(const struct buf *in) {
  static char v[32];
  char *s = top_level_string(in->data ? in->data : "", in->len, "cniVersion");
  const char *supported[] = {"0.4.0", "1.0.0", "1.1.0"};
  snprintf(v, sizeof v, "1.1.0");
  for (size_t i = 0; s && i < sizeof supported / sizeof *supported; i++)
    if (!strcmp(s, supported[i])) snprintf(v, sizeof v, "%s", s);
  free(s);
  return v;
}

/* ---------------------------------------------------------------- fast path */

enum { AGENT_FALLBACK = -1 };

static int agent(const char *path, const char *plugin, const struct buf *in) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) return AGENT_FALLBACK;
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return AGENT_FALLBACK;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    close(fd);
    return AGENT_FALLBACK;
  }

  struct buf req = {0};
  struct stat ns;
  char line[128];
  buf_str(&req, "FLATNET-CNI/1\n");
  buf_str(&req, plugin);
  buf_str(&req, "\n");
  if (stat("/proc/self/ns/net", &ns) == 0)
    snprintf(line, sizeof line, "%llu:%llu\n", (unsigned long long)ns.st_dev, (unsigned long long)ns.st_ino);
  else
    snprintf(line, sizeof line, "-\n");
  buf_str(&req, line);
  for (char **e = environ; *e; e++)
    if (!strncmp(*e, "CNI_", 4) || !strncmp(*e, "PATH=", 5)) buf_add(&req, *e, strlen(*e) + 1);
  buf_add(&req, "", 1);
  if (in->len) buf_add(&req, in->data, in->len);
  int sent = write_all(fd, req.data, req.len) == 0 && shutdown(fd, SHUT_WR) == 0;
  free(req.data);
  if (!sent) {
    close(fd);
    return AGENT_FALLBACK;
  }

  struct buf ans = {0};
  int rd = read_all(fd, &ans);
  close(fd);
  char *nl = ans.data ? memchr(ans.data, '\n', ans.len) : NULL;
  if (rd < 0 || !nl) {
    char msg[PATH_MAX + 128];
    snprintf(msg, sizeof msg, "the flatnet agent at %s closed the connection without answering", path);
    cni_error(version_of(in), 11, msg);
    free(ans.data);
    return 1;
  }
  int status;
  if (!strncmp(ans.data, "FALLBACK", 8)) {
    free(ans.data);
    return AGENT_FALLBACK;
  }
  if (sscanf(ans.data, "EXIT %d", &status) != 1) {
    cni_error(version_of(in), 11, "the flatnet agent sent an answer this shim does not understand");
    free(ans.data);
    return 1;
  }
  size_t head = (size_t)(nl - ans.data) + 1;
  write_all(1, ans.data + head, ans.len - head);
  free(ans.data);
  return status;
}

/* ---------------------------------------------------------------- slow path */

static int executable(const char *p) { return access(p, X_OK) == 0; }

static int find_node(char *out, size_t n) {
  const char *env = getenv("FLATNET_NODE");
  if (env && *env && executable(env)) { snprintf(out, n, "%s", env); return 0; }
  const char *path = getenv("PATH");
  if (path) {
    char *copy = strdup(path), *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
      snprintf(out, n, "%s/node", dir);
      if (executable(out)) { free(copy); return 0; }
    }
    free(copy);
  }
  const char *known[] = {"/usr/local/bin/node", "/usr/bin/node"};
  for (size_t i = 0; i < sizeof known / sizeof *known; i++)
    if (executable(known[i])) { snprintf(out, n, "%s", known[i]); return 0; }
  return -1;
}

static int slow_path(const char *plugin, const struct buf *in) {
  char exe[PATH_MAX], main_js[PATH_MAX + 64], node[PATH_MAX + 8], msg[PATH_MAX * 2];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    cni_error(version_of(in), 5, "cannot resolve /proc/self/exe to find the flatnet installation");
    return 1;
  }
  exe[n] = 0;
  /* <repo>/build/cni_shim -> <repo> */
  for (int i = 0; i < 2; i++) {
    char *slash = strrchr(exe, '/');
    if (!slash) break;
    *slash = 0;
  }
  snprintf(main_js, sizeof main_js, "%s/dist/src/cni/main.js", exe);
  if (access(main_js, R_OK) != 0) {
    snprintf(msg, sizeof msg, "%s is missing: build flatnet first (npm run build)", main_js);
    cni_error(version_of(in), 5, msg);
    return 1;
  }
  if (find_node(node, sizeof node) != 0) {
    cni_error(version_of(in), 5, "node was not found (set FLATNET_NODE or put node on PATH)");
    return 1;
  }
  int mfd = memfd_create("flatnet-cni-stdin", 0);
  if (mfd < 0 || write_all(mfd, in->data ? in->data : "", in->len) != 0 || lseek(mfd, 0, SEEK_SET) != 0 ||
      dup2(mfd, 0) < 0) {
    snprintf(msg, sizeof msg, "cannot pass the config to node: %s", strerror(errno));
    cni_error(version_of(in), 5, msg);
    return 1;
  }
  close(mfd);
  char *argv[] = {node, main_js, (char *)plugin, NULL};
  execv(node, argv);
  snprintf(msg, sizeof msg, "cannot exec %s: %s", node, strerror(errno));
  cni_error(version_of(in), 5, msg);
  return 1;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  const char *plugin = argc > 1 ? argv[1] : strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  struct buf in = {0};
  if (read_all(0, &in) < 0 && errno != EBADF) {
    char msg[256];
    snprintf(msg, sizeof msg, "cannot read the config from stdin: %s", strerror(errno));
    cni_error("1.1.0", 5, msg);
    return 1;
  }
  char *sock = top_level_string(in.data ? in.data : "", in.len, "agentSocket");
  if (sock && *sock) {
    int status = agent(sock, plugin, &in);
    if (status != AGENT_FALLBACK) return status;
  }
  free(sock);
  return slow_path(plugin, &in);
}
