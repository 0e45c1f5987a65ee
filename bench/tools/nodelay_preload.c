// Experiment only (BENCH_NODELAY_SHIM=1 bench/run): preloaded into the gateway, sets TCP_NODELAY
// on every accepted socket. Shows what the gateway gains once src/server sets no_delay on client
// connections itself (Nagle + delayed ACK hold the second small SSE write for up to 40 ms).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void no_delay(int fd) {
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
}

int accept(int s, struct sockaddr* a, socklen_t* l) {
  static int (*real)(int, struct sockaddr*, socklen_t*);
  if (!real) real = (int (*)(int, struct sockaddr*, socklen_t*))dlsym(RTLD_NEXT, "accept");
  int fd = real(s, a, l);
  no_delay(fd);
  return fd;
}

int accept4(int s, struct sockaddr* a, socklen_t* l, int flags) {
  static int (*real)(int, struct sockaddr*, socklen_t*, int);
  if (!real) real = (int (*)(int, struct sockaddr*, socklen_t*, int))dlsym(RTLD_NEXT, "accept4");
  int fd = real(s, a, l, flags);
  no_delay(fd);
  return fd;
}
