// Linked only into ThreadSanitizer builds (WACHTPOST_SANITIZE=thread).
//
// librdkafka as Debian builds it uses C11 threads (thrd_create, mtx_lock,
// cnd_wait). GCC 12's ThreadSanitizer intercepts the pthread functions but
// not their C11 twins: threads started by thrd_create have no TSan state and
// crash at once, and locks taken by mtx_lock are invisible to it, so every
// access guarded by them would be reported as a race. These definitions in
// the executable take precedence over glibc's for librdkafka's calls and
// route each one to the pthread function TSan does intercept. glibc
// implements C11 threads on pthreads, so the types have the same layout.

#include <pthread.h>
#include <threads.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace {

struct Start {
  thrd_start_t function;
  void* argument;
};

void* run(void* raw) {
  const Start start = *static_cast<Start*>(raw);
  std::free(raw);
  return reinterpret_cast<void*>(static_cast<std::intptr_t>(start.function(start.argument)));
}

int result(int pthread_error) {
  switch (pthread_error) {
    case 0: return thrd_success;
    case EBUSY: return thrd_busy;
    case ETIMEDOUT: return thrd_timedout;
    case ENOMEM: return thrd_nomem;
    default: return thrd_error;
  }
}

pthread_mutex_t* native(mtx_t* mutex) { return reinterpret_cast<pthread_mutex_t*>(mutex); }
pthread_cond_t* native(cnd_t* condition) { return reinterpret_cast<pthread_cond_t*>(condition); }

static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t));
static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t));
static_assert(sizeof(thrd_t) == sizeof(pthread_t));

}  // namespace

extern "C" {

int thrd_create(thrd_t* thread, thrd_start_t function, void* argument) {
  auto* start = static_cast<Start*>(std::malloc(sizeof(Start)));
  if (start == nullptr) return thrd_nomem;
  *start = Start{function, argument};
  const int error = pthread_create(reinterpret_cast<pthread_t*>(thread), nullptr, run, start);
  if (error != 0) std::free(start);
  return result(error);
}

int thrd_join(thrd_t thread, int* exit_code) {
  void* value = nullptr;
  const int error = pthread_join(static_cast<pthread_t>(thread), &value);
  if (error == 0 && exit_code != nullptr) *exit_code = static_cast<int>(reinterpret_cast<std::intptr_t>(value));
  return result(error);
}

int thrd_detach(thrd_t thread) { return result(pthread_detach(static_cast<pthread_t>(thread))); }

int mtx_init(mtx_t* mutex, int type) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  if ((type & mtx_recursive) != 0) pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  const int error = pthread_mutex_init(native(mutex), &attributes);
  pthread_mutexattr_destroy(&attributes);
  return result(error);
}

int mtx_lock(mtx_t* mutex) { return result(pthread_mutex_lock(native(mutex))); }
int mtx_trylock(mtx_t* mutex) { return result(pthread_mutex_trylock(native(mutex))); }
int mtx_timedlock(mtx_t* mutex, const struct timespec* until) {
  return result(pthread_mutex_timedlock(native(mutex), until));
}
int mtx_unlock(mtx_t* mutex) { return result(pthread_mutex_unlock(native(mutex))); }
void mtx_destroy(mtx_t* mutex) { pthread_mutex_destroy(native(mutex)); }

int cnd_init(cnd_t* condition) { return result(pthread_cond_init(native(condition), nullptr)); }
int cnd_signal(cnd_t* condition) { return result(pthread_cond_signal(native(condition))); }
int cnd_broadcast(cnd_t* condition) { return result(pthread_cond_broadcast(native(condition))); }
int cnd_wait(cnd_t* condition, mtx_t* mutex) { return result(pthread_cond_wait(native(condition), native(mutex))); }
int cnd_timedwait(cnd_t* condition, mtx_t* mutex, const struct timespec* until) {
  return result(pthread_cond_timedwait(native(condition), native(mutex), until));
}
void cnd_destroy(cnd_t* condition) { pthread_cond_destroy(native(condition)); }

}  // extern "C"
