/*
 * virtio_net.h - the guest's virtio-net driver (drivers/net/virtio_net.c),
 * one queue pair on the device's virtqueues (models/virtio/net.h, guest
 * memory).
 *
 * Transmit (start_xmit), at the end of a task's send() (its cost is the
 * caller's): free the buffers the device has sent (free_old_xmit_skbs: the
 * TX queue's used ring; its interrupts stay off, as without napi_tx), the
 * packet on the TX ring, and a notify (an OUT to the queue's port, which
 * exits; KVM signals the ioeventfd) unless the device set
 * VRING_USED_F_NO_NOTIFY while its worker drains the ring. A full ring drops
 * the packet (counted; the modelled loads never fill it).
 *
 * Receive. The RX ring holds buffers posted at start. The queue's MSI runs
 * skb_recv_done(): interrupts off (virtqueue_disable_cb) and the NAPI poll
 * scheduled; virtnet_poll() takes up to a budget of 64 packets off the used
 * ring (guest_net_rx and the copy each), hands each to the socket layer (the
 * `deliver` callback, which may wake a task), reposts the buffers (notifying
 * the device only when it asked: it ran out of buffers), and, when fewer than
 * the budget were there, napi_complete_done(): interrupts on again, and one
 * more poll if packets raced in meanwhile (virtqueue_enable_cb said so). The
 * poll runs in the interrupt's context, before the handler returns (the
 * softirq on irq_exit()).
 */
#ifndef KVMSIM_GUEST_VIRTIO_NET_H
#define KVMSIM_GUEST_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "models/virtio/virtqueue.h"

struct guest_cpu;

#define VIRTNET_NAPI_WEIGHT 64
#define VIRTNET_MAX_PENDING 256 /* sends a task may queue before their start_xmit() runs */

/* deliver - a received packet reaches its socket (interrupt context on g). */
typedef void virtnet_deliver_fn(void *ctx, struct guest_cpu *g, const struct virtio_req *pkt);

struct virtnet {
	struct guest_cpu *g; /* the vCPU of the RX queue's interrupt affinity */
	struct virtqueue *rx, *tx;
	uint8_t vector;
	virtnet_deliver_fn *deliver;
	void *deliver_ctx;
	bool napi_scheduled;
	struct virtio_req pending[VIRTNET_MAX_PENDING]; /* sends whose start_xmit() is still ahead */
	unsigned phead, pn;
	/* statistics */
	uint64_t xmits, kicks, tx_dropped, irqs, polls, rx_pkts, rx_kicks;
};

/* virtnet_init - the driver on rx/tx for vCPU g's interrupt `vector` (its driver added already): RX
 * buffers posted, TX interrupts off; -1 when the vector has no driver. */
int virtnet_init(struct virtnet *n, struct guest_cpu *g, struct virtqueue *rx, struct virtqueue *tx, uint8_t vector,
		 virtnet_deliver_fn *deliver, void *ctx);
/* virtnet_send - (task context on g, after the caller's send() cost) start_xmit() of a packet of len
 * bytes carrying `submitted` and priv: its ops go in front of g's queue. -1: too many pending. */
int virtnet_send(struct guest_cpu *g, struct virtnet *n, uint32_t len, sim_time_t submitted, void *priv);
/* virtnet_in_napi - packets on the RX used ring the driver has not handed to a socket. */
unsigned virtnet_rx_waiting(const struct virtnet *n);
void virtnet_stats_reset(struct virtnet *n);

#endif
