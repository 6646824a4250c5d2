#include "tun.h"

#include "netns.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "ethernet.h"

// Linux 6.2 added USO; older headers lack the flags.
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

namespace viaguard {
namespace {

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct OffloadChoice {
  unsigned flags;
  const char* name;
};

// Asked for in this order; the first the kernel accepts wins.
constexpr unsigned kTso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
constexpr OffloadChoice kOffloadChoices[] = {
    {kTso | TUN_F_USO4 | TUN_F_USO6, "csum tso4 tso6 tso_ecn uso4 uso6"},
    {kTso, "csum tso4 tso6 tso_ecn"},
    {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, "csum tso4 tso6"},
    {TUN_F_CSUM, "csum"},
};

}  // namespace

namespace {

// Attaches a new descriptor to the interface name (creating it if absent) with flags; the fd or
// -errno.
int AttachTunFd(const std::string& name, short flags) {
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return -errno;
  ifreq ifr{};
  ifr.ifr_flags = flags;
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

}  // namespace

int CreateTunFd(const std::string& name, std::string* actual, DeviceKind kind) {
  if (name.size() >= IFNAMSIZ) {
    throw std::system_error(ENAMETOOLONG, std::generic_category(),
                            "interface name '" + name + "' is longer than 15 bytes");
  }
  const short flags = static_cast<short>((kind == DeviceKind::kTap ? IFF_TAP : IFF_TUN) |
                                         IFF_NO_PI | IFF_VNET_HDR);
  int fd = AttachTunFd(name, static_cast<short>(flags | IFF_MULTI_QUEUE));
  // EINVAL: an existing interface of that name has one queue (or other flags); attach as it is.
  if (fd == -EINVAL) fd = AttachTunFd(name, flags);
  if (fd < 0) {
    throw std::system_error(-fd, std::generic_category(),
                            std::string(kind == DeviceKind::kTap ? "TUNSETIFF (TAP) " : "TUNSETIFF ") + name);
  }
  ifreq ifr{};
  if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    throw std::system_error(err, std::generic_category(), "TUNGETIFF " + name);
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
  flags_ = ifr.ifr_flags;
  name_ = std::string(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  int flags = fcntl(fd_, F_GETFL);
  if (flags < 0 || fcntl(fd_, F_SETFL, flags | O_NONBLOCK) < 0 ||
      fcntl(fd_, F_SETFD, FD_CLOEXEC) < 0) {
    throw std::system_error(errno, std::generic_category(), "fcntl on the TUN fd");
  }
  if (ifr.ifr_flags & IFF_VNET_HDR) {
    int size = static_cast<int>(kVirtioNetHeaderSize);
    if (ioctl(fd_, TUNSETVNETHDRSZ, &size) < 0) ThrowErrno("TUNSETVNETHDRSZ");
    vnetHeader_ = true;
    EnableOffloads();
    pending_.reset(new uint8_t[kMaxSegmentLength + kEthernetHeaderSize]);
  }
}

void Tun::EnableOffloads() {
  std::string refused;
  for (const OffloadChoice& choice : kOffloadChoices) {
    if (ioctl(fd_, TUNSETOFFLOAD, static_cast<unsigned long>(choice.flags)) == 0) {
      tcpOffload_ = choice.flags & TUN_F_TSO4;
      udpOffload_ = choice.flags & TUN_F_USO4;
      offloads_ = choice.name + (refused.empty() ? refused : refused + ")");
      return;
    }
    refused += std::string(refused.empty() ? " (refused: " : "; ") + choice.name + ": " + strerror(errno);
  }
  // The virtio_net_hdr stays (the fd was opened with it), describing plain packets.
  ioctl(fd_, TUNSETOFFLOAD, 0UL);
  offloads_ = "none" + refused + ")";
}

Tun::~Tun() { close(fd_); }

int Tun::OpenNetns(std::string* currentName) const {
  ifreq ifr{};
  if (ioctl(fd_, TUNGETIFF, &ifr) < 0) return -errno;
  *currentName = std::string(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  int nsFd = ioctl(fd_, TUNGETDEVNETNS);
  return nsFd < 0 ? -errno : nsFd;
}

std::unique_ptr<IpDevice> Tun::OpenQueue() const {
  if (!(flags_ & IFF_MULTI_QUEUE)) return nullptr;
  // The interface is looked up by name in the namespace of the descriptor's opener: open it
  // where the interface is now.
  std::string name;
  int nsFd = OpenNetns(&name);
  if (nsFd == -ENOTTY || nsFd == -EINVAL) {
    name = name_;
    nsFd = -1;
  } else if (nsFd < 0) {
    throw std::system_error(-nsFd, std::generic_category(), "another queue of " + name_);
  }
  const short flags = static_cast<short>(flags_ & (IFF_TUN | IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
                                                   IFF_MULTI_QUEUE));
  auto attach = [&name, flags] { return AttachTunFd(name, flags); };
  int fd = nsFd < 0 ? attach() : RunInNetnsFd(nsFd, attach);
  if (nsFd >= 0) close(nsFd);
  if (fd < 0) throw std::system_error(-fd, std::generic_category(), "TUNSETIFF (another queue) " + name);
  try {
    return std::make_unique<Tun>(fd);
  } catch (...) {
    close(fd);
    throw;
  }
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
                                    size_t* refused, std::string* reason) {
  *filled = 0;
  *refused = 0;
  const size_t link = kind_ == DeviceKind::kTap ? kEthernetHeaderSize : 0;
  TakePending(slots, count, filled);
  while (*filled < count) {
    PacketSlot& slot = slots[*filled];
    VirtioNetHeader header;
    iovec parts[2] = {{&header, sizeof header}, {slot.data, slot.capacity}};
    ssize_t n = vnetHeader_ ? readv(fd_, parts, 2) : read(fd_, slot.data, slot.capacity);
    if (n > 0) {
      size_t length = static_cast<size_t>(n);
      if (!vnetHeader_) {
        slot.length = length;
        ++*filled;
        continue;
      }
      GsoPlan plan;
      if (length < sizeof header ||
          PlanSegments(header, slot.data, length - sizeof header, link, &plan) != PlanResult::kOk) {
        ++*refused;
        continue;
      }
      length -= sizeof header;
      if (!plan.gso) {
        CompleteChecksum(plan, slot.data, length);
        slot.length = length;
        ++*filled;
        continue;
      }
      if (plan.segments > count - *filled) {
        std::memcpy(pending_.get(), slot.data, length);
        pendingPlan_ = plan;
        pendingNext_ = 0;
        TakePending(slots, count, filled);
        continue;
      }
      // The first segment is the super-packet's own beginning: cut it last, in place.
      for (size_t i = 1; i < plan.segments; ++i) {
        slots[*filled + i].length = WriteSegment(plan, slot.data, i, slots[*filled + i].data);
      }
      slot.length = WriteSegment(plan, slot.data, 0, slot.data);
      *filled += plan.segments;
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

void Tun::TakePending(PacketSlot* slots, size_t count, size_t* filled) {
  while (Pending() && *filled < count) {
    PacketSlot& slot = slots[(*filled)++];
    slot.length = WriteSegment(pendingPlan_, pending_.get(), pendingNext_++, slot.data);
  }
}

bool Tun::Write(const uint8_t* packet, size_t length) {
  if (vnetHeader_) return WriteOffloaded(VirtioNetHeader{}, packet, length);
  for (;;) {
    ssize_t n = write(fd_, packet, length);
    if (n >= 0) return static_cast<size_t>(n) == length;
    if (errno != EINTR) return false;
  }
}

bool Tun::WriteOffloaded(const VirtioNetHeader& header, const uint8_t* packet, size_t length) {
  iovec parts[2] = {{const_cast<VirtioNetHeader*>(&header), sizeof header},
                    {const_cast<uint8_t*>(packet), length}};
  for (;;) {
    ssize_t n = writev(fd_, parts, 2);
    if (n >= 0) return static_cast<size_t>(n) == sizeof header + length;
    if (errno != EINTR) return false;
  }
}

}  // namespace viaguard
