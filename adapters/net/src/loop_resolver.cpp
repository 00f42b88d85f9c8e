// Host names resolved off the event loops. See loop_resolver.h.
#include "loop_resolver.h"

#include <netdb.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace ploke::net::detail {

struct Resolver::State {
  ResolveFn fn;
  std::mutex mu;
  std::condition_variable cv;
  struct Job {
    Target target;
    Post post;
    std::function<void(Result<Addresses>)> done;
  };
  std::deque<Job> jobs;
  int workers = 0, idle = 0;  // threads made / waiting for a job
  bool stop = false;
  std::atomic<size_t> lookups{0};

  Result<Addresses> run(const Target& t) {
    lookups.fetch_add(1, std::memory_order_relaxed);
    if (!fn) return resolve(t);
    Result<std::vector<std::string>> ips = fn(t.host);
    if (!ips.ok()) return ips.status();
    Addresses out;
    for (const std::string& ip : *ips) {
      Target lit = t;
      lit.host = ip;
      if (auto a = literal_addresses(lit)) out.insert(out.end(), a->begin(), a->end());
    }
    if (out.empty()) return ConnectionResetError("cannot resolve " + t.host + ": no address");
    return out;
  }
  static void work(const std::shared_ptr<State>& st) {
    std::unique_lock<std::mutex> lk(st->mu);
    for (;;) {
      ++st->idle;
      st->cv.wait(lk, [&] { return st->stop || !st->jobs.empty(); });
      --st->idle;
      if (st->stop) return;
      Job job = std::move(st->jobs.front());
      st->jobs.pop_front();
      lk.unlock();
      auto r = std::make_shared<Result<Addresses>>(st->run(job.target));
      job.post([done = std::move(job.done), r] { done(std::move(*r)); });
      lk.lock();
    }
  }
};

Resolver::Resolver(ResolveFn fn) : st_(std::make_shared<State>()) { st_->fn = std::move(fn); }

Resolver::~Resolver() {
  std::lock_guard<std::mutex> lk(st_->mu);
  st_->stop = true;
  st_->jobs.clear();
  st_->cv.notify_all();
}

void Resolver::submit(const Target& t, Post post, std::function<void(Result<Addresses>)> done) {
  std::lock_guard<std::mutex> lk(st_->mu);
  st_->jobs.push_back(State::Job{t, std::move(post), std::move(done)});
  if (st_->idle == 0 && st_->workers < kMaxResolverThreads) {  // a hanging lookup holds no other up
    ++st_->workers;
    std::thread([st = st_] { State::work(st); }).detach();
  }
  st_->cv.notify_one();
}

size_t Resolver::lookups() const { return st_->lookups.load(); }

std::optional<Addresses> literal_addresses(const Target& t) {
  Result<Addresses> a = resolve(t, AI_NUMERICHOST);  // no lookup: literals only
  if (!a.ok()) return std::nullopt;
  return std::move(a).value();
}

void DnsCache::lookup(const Target& t, Ready ready) {
  auto it = entries_.find(t.key);
  if (it == entries_.end()) {
    Entry e;
    if (auto lit = literal_addresses(t)) {
      e.addrs = std::move(*lit);
      e.have = e.literal = true;
    }
    it = entries_.emplace(t.key, std::move(e)).first;
  }
  Entry& e = it->second;
  if (e.have) {
    if (!e.literal && !e.pending && clock_.now() - e.at >= ttl_) refresh(t, e);
    ready(&e.addrs);
    return;
  }
  e.waiters.push_back(std::move(ready));
  if (!e.pending) refresh(t, e);
}

void DnsCache::refresh(const Target& t, Entry& e) {
  e.pending = true;
  e.asked = clock_.now();
  resolver_.submit(t, post_, [w = weak_from_this(), key = t.key](Result<Addresses> r) {
    if (auto self = w.lock()) self->answered(key, std::move(r));
  });
}

void DnsCache::answered(const std::string& key, Result<Addresses> r) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.pending = false;
  if (r.ok()) {  // never empty: both lookups fail instead
    e.addrs = std::move(*r);
    e.have = true;
    e.at = e.asked;  // the TTL counts from the question: an answer is never kept longer
  }
  std::vector<Ready> waiters = std::move(e.waiters);
  e.waiters.clear();
  for (Ready& w : waiters) {
    if (e.have) w(&e.addrs);
    else w(r.status());
  }
}

void DnsCache::abandon() {
  for (auto& [key, e] : entries_) e.waiters.clear();
}

}  // namespace ploke::net::detail
