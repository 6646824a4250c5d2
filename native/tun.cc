#include "tun.h"

#include "netns.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace viaguard {
namespace {

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

int CreateTunFd(const std::string& name, std::string* actual, DeviceKind kind) {
  if (name.size() >= IFNAMSIZ) {
    throw std::system_error(ENAMETOOLONG, std::generic_category(),
                            "interface name '" + name + "' is longer than 15 bytes");
  }
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) ThrowErrno("open /dev/net/tun");
  ifreq ifr{};
  ifr.ifr_flags = static_cast<short>((kind == DeviceKind::kTap ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    throw std::system_error(err, std::generic_category(),
                            std::string(kind == DeviceKind::kTap ? "TUNSETIFF (TAP) " : "TUNSETIFF ") + name);
  }
  *actual = std::string(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  return fd;
}

Tun::Tun(int fd) : fd_(fd) {
  ifreq ifr{};
  if (ioctl(fd_, TUNGETIFF, &ifr) < 0) {
    throw std::system_error(errno, std::generic_category(), "TUNGETIFF: not an attached TUN fd");
  }
  int type = ifr.ifr_flags & (IFF_TUN | IFF_TAP);
  if ((type != IFF_TUN && type != IFF_TAP) || !(ifr.ifr_flags & IFF_NO_PI)) {
    throw std::system_error(EINVAL, std::generic_category(),
                            "the fd is not an IFF_TUN or IFF_TAP device with IFF_NO_PI");
  }
  kind_ = type == IFF_TAP ? DeviceKind::kTap : DeviceKind::kTun;
  name_ = std::string(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  int flags = fcntl(fd_, F_GETFL);
  if (flags < 0 || fcntl(fd_, F_SETFL, flags | O_NONBLOCK) < 0 ||
      fcntl(fd_, F_SETFD, FD_CLOEXEC) < 0) {
    throw std::system_error(errno, std::generic_category(), "fcntl on the TUN fd");
  }
}

Tun::~Tun() { close(fd_); }

int Tun::OpenNetns(std::string* currentName) const {
  ifreq ifr{};
  if (ioctl(fd_, TUNGETIFF, &ifr) < 0) return -errno;
  *currentName = std::string(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  int nsFd = ioctl(fd_, TUNGETDEVNETNS);
  return nsFd < 0 ? -errno : nsFd;
}

int Tun::ControlSocket(std::string* currentName, const char* purpose) const {
  auto open = [] {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    return s < 0 ? -errno : s;
  };
  int nsFd = OpenNetns(currentName);
  // Kernels before 5.2 cannot tell (ENOTTY, EINVAL): the interface is where we created it.
  if (nsFd == -ENOTTY || nsFd == -EINVAL) {
    *currentName = name_;
    nsFd = -1;
  } else if (nsFd < 0) {
    throw std::system_error(-nsFd, std::generic_category(), std::string(purpose) + " " + name_);
  }
  int sock = nsFd < 0 ? open() : RunInNetnsFd(nsFd, open);
  if (nsFd >= 0) close(nsFd);
  if (sock < 0) throw std::system_error(-sock, std::generic_category(), std::string("socket for ") + purpose);
  return sock;
}

// Both ioctls go to the interface where it is now: after `ip link set dev X netns Y` a name
// looked up in our own namespace would miss it or, worse, hit another interface of that name.
void Tun::SetMtu(int mtu) {
  std::string name;
  int sock = ControlSocket(&name, "SIOCSIFMTU");
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  ifr.ifr_mtu = mtu;
  int rc = ioctl(sock, SIOCSIFMTU, &ifr);
  int err = errno;
  close(sock);
  if (rc < 0) throw std::system_error(err, std::generic_category(), "SIOCSIFMTU " + name);
}

uint64_t Tun::HardwareAddress() const {
  if (kind_ != DeviceKind::kTap) return 0;
  std::string name;
  int sock = ControlSocket(&name, "SIOCGIFHWADDR");
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  int rc = ioctl(sock, SIOCGIFHWADDR, &ifr);
  int err = errno;
  close(sock);
  if (rc < 0) throw std::system_error(err, std::generic_category(), "SIOCGIFHWADDR " + name);
  uint64_t mac = 0;
  for (int i = 0; i < 6; ++i) mac = mac << 8 | static_cast<uint8_t>(ifr.ifr_hwaddr.sa_data[i]);
  return mac;
}

IpDevice::ReadResult Tun::ReadBatch(PacketSlot* slots, size_t count, size_t* filled,
                                    std::string* reason) {
  *filled = 0;
  while (*filled < count) {
    PacketSlot& slot = slots[*filled];
    ssize_t n = read(fd_, slot.data, slot.capacity);
    if (n > 0) {
      slot.length = static_cast<size_t>(n);
      ++*filled;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return ReadResult::kOk;
    // EBADFD: the interface was deleted (the kernel detached the queue); EIO/EFAULT and EOF
    // mean the same for us: no more packets will come.
    const char* what = kind_ == DeviceKind::kTap ? "TAP" : "TUN";
    *reason = n == 0 ? std::string(what) + " read returned end of file"
                     : std::string(what) + " read failed: " + strerror(errno);
    return ReadResult::kClosed;
  }
  return ReadResult::kOk;
}

bool Tun::Write(const uint8_t* packet, size_t length) {
  for (;;) {
    ssize_t n = write(fd_, packet, length);
    if (n >= 0) return static_cast<size_t>(n) == length;
    if (errno != EINTR) return false;
  }
}

}  // namespace viaguard
