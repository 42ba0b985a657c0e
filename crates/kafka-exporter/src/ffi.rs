//! Committed offsets of many consumer groups through one client: librdkafka's
//! ListConsumerGroupOffsets admin call, which rust-rdkafka does not wrap.
//! Requests are sent without waiting (up to `max_in_flight` at once) and their
//! results collected from one queue, so a thousand groups cost a thousand
//! OffsetFetch requests over the existing connections, not a client each.
//!
//! Also the length of the client's main queue (see `main_queue_length`).
//!
//! This is the crate's only unsafe code. Every pointer comes from librdkafka
//! and is used only while the object that owns it (event, queue) is alive.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::ffi::{CStr, CString, c_void};
use std::time::{Duration, Instant};

use rdkafka_sys as sys;

/// (topic, partition) -> committed offset, for one group.
pub type Committed = HashMap<(String, i32), i64>;

/// Fetches the committed offsets of `groups` (all partitions each group has
/// committed). Blocking; returns by `deadline` with what arrived, the rest
/// as errors.
pub fn list_group_offsets(
    rk: *mut sys::rd_kafka_t,
    groups: &[String],
    max_in_flight: usize,
    deadline: Instant,
) -> Vec<Result<Committed, String>> {
    let mut results: Vec<Option<Result<Committed, String>>> =
        (0..groups.len()).map(|_| None).collect();
    if groups.is_empty() {
        return Vec::new();
    }
    // SAFETY: rk is a live client handle owned by the caller for the whole call.
    let queue = unsafe { sys::rd_kafka_queue_new(rk) };
    if queue.is_null() {
        return groups
            .iter()
            .map(|_| Err("cannot create a queue".to_string()))
            .collect();
    }
    let max_in_flight = max_in_flight.max(1);
    let mut next = 0usize;
    let mut in_flight = 0usize;
    let mut done = 0usize;
    while done < groups.len() {
        while next < groups.len() && in_flight < max_in_flight {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match send(rk, queue, &groups[next], next, remaining) {
                Ok(()) => in_flight += 1,
                Err(e) => {
                    results[next] = Some(Err(e));
                    done += 1;
                }
            }
            next += 1;
        }
        if in_flight == 0 {
            continue;
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            break;
        }
        let wait = remaining.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: queue is live until destroyed below.
        let event = unsafe { sys::rd_kafka_queue_poll(queue, wait) };
        if event.is_null() {
            continue;
        }
        // SAFETY: event is a live event from our queue; destroyed right after.
        let (index, result) = unsafe { read_event(event) };
        unsafe { sys::rd_kafka_event_destroy(event) };
        in_flight -= 1;
        done += 1;
        if let Some(slot) = results.get_mut(index) {
            *slot = Some(result);
        }
    }
    // Results still in flight are discarded with the queue; librdkafka keeps
    // the client alive until they finish.
    // SAFETY: queue came from rd_kafka_queue_new and is destroyed once.
    unsafe { sys::rd_kafka_queue_destroy(queue) };
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("timed out".to_string())))
        .collect()
}

/// How many events (log lines, errors) wait on the client's main queue,
/// which rust-rdkafka does not expose.
pub fn main_queue_length(rk: *mut sys::rd_kafka_t) -> usize {
    // SAFETY: rk is a live client handle owned by the caller; the queue
    // reference taken here is released before returning.
    unsafe {
        let queue = sys::rd_kafka_queue_get_main(rk);
        if queue.is_null() {
            return 0;
        }
        let length = sys::rd_kafka_queue_length(queue);
        sys::rd_kafka_queue_destroy(queue);
        length
    }
}

fn send(
    rk: *mut sys::rd_kafka_t,
    queue: *mut sys::rd_kafka_queue_t,
    group: &str,
    index: usize,
    timeout: Duration,
) -> Result<(), String> {
    let name = CString::new(group).map_err(|_| "group name contains NUL".to_string())?;
    // SAFETY: rk is live; the options and request objects are destroyed below
    // (librdkafka copies what it needs when the call is made).
    unsafe {
        let options = sys::rd_kafka_AdminOptions_new(
            rk,
            sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
        );
        if options.is_null() {
            return Err("cannot create admin options".to_string());
        }
        let mut errstr = [0 as std::ffi::c_char; 256];
        let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
        sys::rd_kafka_AdminOptions_set_request_timeout(
            options,
            ms,
            errstr.as_mut_ptr(),
            errstr.len(),
        );
        sys::rd_kafka_AdminOptions_set_opaque(options, index as *mut c_void);
        let request = sys::rd_kafka_ListConsumerGroupOffsets_new(name.as_ptr(), std::ptr::null());
        if request.is_null() {
            sys::rd_kafka_AdminOptions_destroy(options);
            return Err("cannot create the request".to_string());
        }
        let mut requests = [request];
        sys::rd_kafka_ListConsumerGroupOffsets(rk, requests.as_mut_ptr(), 1, options, queue);
        sys::rd_kafka_ListConsumerGroupOffsets_destroy(request);
        sys::rd_kafka_AdminOptions_destroy(options);
    }
    Ok(())
}

/// # Safety
/// `event` must be a live event polled from a queue that only receives
/// ListConsumerGroupOffsets results sent by [`send`].
unsafe fn read_event(event: *mut sys::rd_kafka_event_t) -> (usize, Result<Committed, String>) {
    // SAFETY: per the function contract.
    unsafe {
        let index = sys::rd_kafka_event_opaque(event) as usize;
        let err = sys::rd_kafka_event_error(event);
        if err != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return (index, Err(cstr(sys::rd_kafka_event_error_string(event))));
        }
        let result = sys::rd_kafka_event_ListConsumerGroupOffsets_result(event);
        if result.is_null() {
            return (index, Err("unexpected event".to_string()));
        }
        let mut count = 0usize;
        let groups = sys::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut count);
        if groups.is_null() || count == 0 {
            return (index, Err("empty result".to_string()));
        }
        let group = *groups;
        let error = sys::rd_kafka_group_result_error(group);
        if !error.is_null() {
            return (index, Err(cstr(sys::rd_kafka_error_string(error))));
        }
        let mut committed = Committed::new();
        let list = sys::rd_kafka_group_result_partitions(group);
        if !list.is_null() {
            let list = &*list;
            let n = usize::try_from(list.cnt).unwrap_or(0);
            if !list.elems.is_null() {
                for elem in std::slice::from_raw_parts(list.elems, n) {
                    if elem.err != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
                        || elem.topic.is_null()
                    {
                        continue;
                    }
                    committed.insert((cstr(elem.topic), elem.partition), elem.offset);
                }
            }
        }
        (index, Ok(committed))
    }
}

/// # Safety
/// `ptr` is null or a NUL-terminated string that outlives the call.
unsafe fn cstr(ptr: *const std::ffi::c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: per the function contract.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}
