// Runs a function with the calling thread moved into another network namespace, without ever
// changing the namespace of the thread that asks: a short-lived std::thread joins the namespace
// (setns(CLONE_NEWNET) affects only the calling thread), runs the function and exits. Sockets,
// TUN devices and other file descriptors created there stay bound to that namespace.
#pragma once

#include <functional>
#include <string>

namespace viaguard {

// Runs `create` inside the network namespace named by `netnsPath` (e.g. /var/run/netns/NAME or
// /proc/PID/ns/net) and returns its result, a file descriptor or -errno. An empty path runs it
// on the calling thread, in the current namespace. Throws std::system_error if the namespace
// cannot be opened or joined; `create` itself must not throw.
int RunInNetns(const std::string& netnsPath, const std::function<int()>& create);

// The same with the namespace given as an open descriptor (e.g. from TUNGETDEVNETNS), which
// stays the caller's.
int RunInNetnsFd(int netnsFd, const std::function<int()>& create);

}  // namespace viaguard
