#pragma once

// One block for the operations of a chain that has at most one pending at a time (a worker's
// accept, then its retry wait; the keep-alive timer's wait), so that the chain allocates nothing
// per operation. The block lives in its owner, which a worker makes at start-up: in start-up
// memory. Allocated at each operation, the one pending after a burst came from the burst's slabs
// and kept one of them resident (bench/RESULTS.md). Asio's allocation example's pattern: bind a
// handler_allocator to the operation's handler. The owner outlives its io_context, which frees
// an operation still queued into the block.

#include <cstddef>
#include <new>

namespace interlingua::server {

class handler_memory {
 public:
  handler_memory() = default;
  handler_memory(const handler_memory&) = delete;
  handler_memory& operator=(const handler_memory&) = delete;

  void* allocate(std::size_t size) {
    if (!in_use_ && size <= sizeof storage_) {
      in_use_ = true;
      return storage_;
    }
    return ::operator new(size);  // larger, or a second operation at once: the heap
  }

  void deallocate(void* p) {
    if (p == storage_) {
      in_use_ = false;
    } else {
      ::operator delete(p);
    }
  }

 private:
  alignas(std::max_align_t) unsigned char storage_[1024];
  bool in_use_ = false;
};

template <typename T>
class handler_allocator {
 public:
  using value_type = T;

  explicit handler_allocator(handler_memory& m) : memory_(&m) {}
  template <typename U>
  handler_allocator(const handler_allocator<U>& other) : memory_(other.memory_) {}  // NOLINT

  T* allocate(std::size_t n) { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
  void deallocate(T* p, std::size_t /*n*/) { memory_->deallocate(p); }

  template <typename U>
  bool operator==(const handler_allocator<U>& other) const {
    return memory_ == other.memory_;
  }

 private:
  template <typename>
  friend class handler_allocator;
  handler_memory* memory_;
};

}  // namespace interlingua::server
