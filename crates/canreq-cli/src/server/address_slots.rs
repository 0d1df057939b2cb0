//! Connection slots per client address, so that one address cannot take every slot of the
//! server: a client without the secret can still open connections, and each it holds open
//! (a slow body, a slow head) is a slot nobody else gets.
//!
//! An IPv6 client counts by its /64 prefix: one host is routinely given a whole /64, and
//! counting its addresses one by one would give it 2^64 shares.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// The slots each client address holds, at most `limit` apiece.
#[derive(Debug)]
pub struct AddressSlots {
    limit: usize,
    held: Mutex<HashMap<Client, usize>>,
}

/// Whom a connection counts against: an IPv4 address, or an IPv6 /64 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    V4(u32),
    V6Prefix(u64),
}

impl Client {
    fn of(ip: IpAddr) -> Client {
        match ip {
            IpAddr::V4(v4) => Client::V4(v4.into()),
            // An IPv4 client reaching a dual-stack socket is seen as `::ffff:a.b.c.d`.
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Client::V4(v4.into()),
                None => Client::V6Prefix((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

impl AddressSlots {
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(AddressSlots {
            limit: limit.max(1),
            held: Mutex::new(HashMap::new()),
        })
    }

    /// The most slots one address may hold.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A slot for a connection from `ip`, or `None` when its address holds its share already.
    pub fn take(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let client = Client::of(ip);
        // A panic elsewhere while counting leaves the counts as they were: go on with them.
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let count = held.entry(client).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            slots: Arc::clone(self),
            client,
        })
    }
}

/// A connection's slot; dropping it frees the slot.
#[derive(Debug)]
pub struct AddressSlot {
    slots: Arc<AddressSlots>,
    client: Client,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut held = self
            .slots
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.client) {
            *count -= 1;
            // Forgotten once free, so the map holds only the addresses connected now.
            if *count == 0 {
                held.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_holds_at_most_its_share_and_gets_slots_back_as_they_close() {
        let slots = AddressSlots::new(2);
        let first = slots.take(ip("127.0.0.2")).expect("first");
        let _second = slots.take(ip("127.0.0.2")).expect("second");
        assert!(slots.take(ip("127.0.0.2")).is_none(), "over the share");
        // Another address is not held back by the first's use.
        let _other = slots.take(ip("127.0.0.1")).expect("another address");
        drop(first);
        assert!(slots.take(ip("127.0.0.2")).is_some(), "a slot came back");
    }

    #[test]
    fn ipv6_counts_by_prefix_and_mapped_ipv4_as_ipv4() {
        let slots = AddressSlots::new(1);
        let _a = slots.take(ip("2001:db8:1:2::1")).expect("first of the /64");
        assert!(slots.take(ip("2001:db8:1:2::ffff")).is_none(), "same /64");
        assert!(slots.take(ip("2001:db8:1:3::1")).is_some(), "another /64");
        let _v4 = slots.take(ip("192.0.2.7")).expect("IPv4");
        assert!(
            slots.take(ip("::ffff:192.0.2.7")).is_none(),
            "the same client"
        );
    }

    #[test]
    fn freed_addresses_are_forgotten() {
        let slots = AddressSlots::new(3);
        let held: Vec<_> = (1..=50u8)
            .filter_map(|n| slots.take(IpAddr::from([10, 0, 0, n])))
            .collect();
        assert_eq!(held.len(), 50);
        drop(held);
        assert!(slots.held.lock().unwrap().is_empty());
    }
}
