/*
 * net.h - a virtio-net device served by vhost-net (drivers/vhost/net.c), and
 * the host's tap devices and bridge that join two such devices.
 *
 * Queues. One queue pair: virtqueue 0 receives (RX), virtqueue 1 transmits
 * (TX), as virtio-net numbers them. Each has its notify port (an ioeventfd)
 * and the RX queue its MSI-X vector (an irqfd); the TX queue's interrupts stay
 * suppressed (the guest frees sent buffers at its next transmission, as
 * virtio-net without napi_tx does), so it never raises one.
 *
 * The vhost worker (backend.h, a kernel thread per device: vhost-<pid>).
 *   TX: the TX queue's ioeventfd wakes it (vhost_kick); handle_tx() turns the
 *     queue's notifications off (VRING_USED_F_NO_NOTIFY) and takes one packet
 *     after another (vhost_net_tx, plus net_copy_kb per KiB), each onto the
 *     used ring and through the tap and bridge to the peer's tap
 *     (net_bridge_fwd, on this worker's CPU: tun_sendmsg() runs the host's
 *     receive path in the sender's context); with the ring empty it turns
 *     notifications on and looks once more.
 *   RX: a packet reaching the tap's socket queues handle_rx() on the
 *     receiving device's worker (vhost_kick) unless it is already queued;
 *     handle_rx() copies each waiting packet into a guest RX buffer
 *     (vhost_net_rx plus the copy), onto the used ring, and when the socket is
 *     empty signals the irqfd once for the batch (vhost_net_signal_used():
 *     eventfd_signal() in the kernel, then kvm_set_msi(): irq_deliver of the
 *     worker's time), unless the guest suppressed interrupts (NAPI polling).
 *     The RX queue's notifications stay off while buffers are available; when
 *     none is, the worker turns them on and the packets wait in the tap until
 *     the guest refills and notifies.
 */
#ifndef KVMSIM_VIRTIO_NET_H
#define KVMSIM_VIRTIO_NET_H

#include <gsl/gsl_rng.h>

#include "models/virtio/backend.h"
#include "models/virtio/virtqueue.h"

struct cost_profile;

enum { VIRTIO_NET_RXQ = 0, VIRTIO_NET_TXQ = 1, VIRTIO_NET_NVQ = 2 };

struct virtio_net_dev;
struct virtio_net_kick { /* an ioeventfd's context */
	struct virtio_net_dev *d;
	int q;
};

struct virtio_net_dev {
	struct sim *sim;
	const struct cost_profile *prof;
	gsl_rng *rng; /* the worker's cost spreads (owned) */
	struct virtio_backend *vhost; /* not owned */
	struct virtqueue vq[VIRTIO_NET_NVQ];
	struct virtio_net_kick kick[VIRTIO_NET_NVQ];
	struct virtio_net_dev *peer; /* the device on the bridge's other port */
	/* the tap's socket: packets from the bridge not yet in a guest buffer (a ring that grows) */
	struct virtio_req *tap;
	unsigned tapcap, taphead, tapn;
	bool rx_queued;   /* handle_rx() is queued or running */
	bool tx_queued;   /* handle_tx() is queued or running */
	unsigned rx_batch; /* used entries added since the last signal */
	unsigned tx_busy, rx_busy; /* packets the worker took off a ring (TX) or the tap (RX), not yet passed on */
	/* statistics */
	uint64_t tx_pkts, rx_pkts, bridged, rx_starved, rx_signals;
};

/* virtio_net_dev_init - the device served by `vhost`; its cost stream from (seed, name). */
void virtio_net_dev_init(struct virtio_net_dev *d, struct sim *sim, const struct cost_profile *prof,
			 struct virtio_backend *vhost, uint64_t seed, const char *name);
/* virtio_net_connect - a and b on one bridge: what one sends, the other receives. */
void virtio_net_connect(struct virtio_net_dev *a, struct virtio_net_dev *b);
/* virtio_net_in_flight - packets this device's guest sent that the peer's guest has not taken
 * off its RX used ring: on the TX ring, in the peer's tap, or on the peer's used ring. */
unsigned virtio_net_in_flight(const struct virtio_net_dev *d);
void virtio_net_dev_stats_reset(struct virtio_net_dev *d);
void virtio_net_dev_free(struct virtio_net_dev *d);

#endif
