#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

namespace viaguard {

namespace {

// Joins the namespace on a short-lived thread; failedStep names what failed, if anything.
int RunOnThreadIn(const std::function<int(const char** failedStep)>& join,
                  const std::function<int()>& create, const std::string& what) {
  int result = 0;
  int failedErrno = 0;
  const char* failedStep = nullptr;
  std::thread worker([&] {
    if (join(&failedStep) != 0) {
      failedErrno = errno;
      return;
    }
    result = create();
  });
  worker.join();
  if (failedStep != nullptr) {
    throw std::system_error(failedErrno, std::generic_category(), std::string(failedStep) + " " + what);
  }
  return result;
}

}  // namespace

int RunInNetns(const std::string& netnsPath, const std::function<int()>& create) {
  if (netnsPath.empty()) return create();
  return RunOnThreadIn(
      [&](const char** failedStep) {
        int nsFd = open(netnsPath.c_str(), O_RDONLY | O_CLOEXEC);
        if (nsFd < 0) {
          *failedStep = "open network namespace";
          return -1;
        }
        int rc = setns(nsFd, CLONE_NEWNET);
        int setnsErrno = errno;
        close(nsFd);
        if (rc != 0) {
          errno = setnsErrno;
          *failedStep = "setns(CLONE_NEWNET)";
        }
        return rc;
      },
      create, netnsPath);
}

int RunInNetnsFd(int netnsFd, const std::function<int()>& create) {
  return RunOnThreadIn(
      [&](const char** failedStep) {
        int rc = setns(netnsFd, CLONE_NEWNET);
        if (rc != 0) *failedStep = "setns(CLONE_NEWNET)";
        return rc;
      },
      create, "fd " + std::to_string(netnsFd));
}

}  // namespace viaguard
