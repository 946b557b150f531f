/// Identifies a timer scheduled on an ``EventLoop``. It stays valid until the timer fires (for a one-shot timer)
/// or is cancelled; after that, cancelling or rescheduling it does nothing, even if its slot was reused.
public struct TimerID: Hashable, Sendable {
    let slot: UInt32
    let generation: UInt32
}

/// An object that handles its own timers. Scheduling with a handler instead of a closure allocates nothing, which
/// matters for timers set per connection or per request.
public protocol TimerHandler: AnyObject {
    /// Called on the event loop thread when `timer` is due.
    func timerFired(_ timer: TimerID)
}

/// What a timer does when it fires.
enum TimerAction {
    case closure(() -> Void)
    case handler(any TimerHandler)
}

/// Pending timers: a binary min-heap of deadlines over a table of timer slots.
///
/// Cancelling only marks the slot; its heap entry is dropped when it reaches the top, and the heap is rebuilt when
/// stale entries outnumber live ones. Moving a deadline later (an idle timeout pushed back on every request) only
/// updates the slot: the old, earlier entry fires, sees the new deadline and re-queues itself once.
struct TimerQueue {
    private struct Slot {
        var generation: UInt32 = 0
        var action: TimerAction?
        /// When the timer is due.
        var deadline: Int64 = 0
        /// The period of a repeating timer, 0 for a one-shot timer.
        var interval: Int64 = 0
        /// The sequence number of the one heap entry that stands for this timer; 0 when there is none.
        var entrySequence: UInt64 = 0
        /// The deadline of that entry, which may be earlier than `deadline` but never later.
        var entryDeadline: Int64 = 0
    }

    private struct Entry {
        var deadline: Int64
        /// Increases with every entry, so timers due at the same instant fire in the order they were queued.
        var sequence: UInt64
        var slot: UInt32

        func precedes(_ other: Entry) -> Bool {
            (deadline, sequence) < (other.deadline, other.sequence)
        }
    }

    private var slots: [Slot] = []
    private var freeSlots: [UInt32] = []
    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 1

    /// The number of pending timers.
    private(set) var count = 0

    /// Adds a timer due at `deadline` (nanoseconds of ``MonotonicInstant``), repeating every `interval`
    /// nanoseconds when `interval` is positive.
    mutating func schedule(at deadline: Int64, interval: Int64, action: TimerAction) -> TimerID {
        let slot: UInt32
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = UInt32(slots.count)
            slots.append(Slot())
        }
        slots[Int(slot)].action = action
        slots[Int(slot)].deadline = deadline
        slots[Int(slot)].interval = max(interval, 0)
        count += 1
        push(slot: slot, deadline: deadline)
        return TimerID(slot: slot, generation: slots[Int(slot)].generation)
    }

    /// Moves a pending timer to `deadline`. Returns false when the timer is no longer pending.
    mutating func reschedule(_ timer: TimerID, at deadline: Int64) -> Bool {
        guard isPending(timer) else {
            return false
        }
        let index = Int(timer.slot)
        slots[index].deadline = deadline
        if deadline < slots[index].entryDeadline {
            push(slot: timer.slot, deadline: deadline)
        }
        return true
    }

    /// Cancels a pending timer. Returns false when it had already fired or been cancelled.
    mutating func cancel(_ timer: TimerID) -> Bool {
        guard isPending(timer) else {
            return false
        }
        release(slot: timer.slot)
        return true
    }

    /// Whether `timer` is still scheduled.
    func isPending(_ timer: TimerID) -> Bool {
        Int(timer.slot) < slots.count && slots[Int(timer.slot)].generation == timer.generation
            && slots[Int(timer.slot)].action != nil
    }

    /// The earliest deadline of any pending timer.
    mutating func nextDeadline() -> Int64? {
        while let top = heap.first {
            if isCurrent(top) {
                return top.deadline
            }
            popTop()
        }
        return nil
    }

    /// Removes and returns the first timer due at `now`, or nil when none is. A repeating timer is queued for its
    /// next period before it is returned, so its action may cancel it; periods missed entirely are skipped rather
    /// than fired in a burst.
    mutating func popExpired(now: Int64) -> (TimerID, TimerAction)? {
        while let top = heap.first, top.deadline <= now {
            popTop()
            guard isCurrent(top) else {
                continue
            }
            let index = Int(top.slot)
            let slot = slots[index]
            guard let action = slot.action else {
                continue
            }
            if slot.deadline > top.deadline {
                // Rescheduled to a later deadline after this entry was queued.
                push(slot: top.slot, deadline: slot.deadline)
                continue
            }
            let timer = TimerID(slot: top.slot, generation: slot.generation)
            if slot.interval > 0 {
                var next = Self.saturatingSum(slot.deadline, slot.interval)
                if next <= now {
                    next = Self.saturatingSum(now, slot.interval)
                }
                slots[index].deadline = next
                push(slot: top.slot, deadline: next)
            } else {
                release(slot: top.slot)
            }
            return (timer, action)
        }
        return nil
    }

    private static func saturatingSum(_ lhs: Int64, _ rhs: Int64) -> Int64 {
        let (sum, overflow) = lhs.addingReportingOverflow(rhs)
        return overflow ? .max : sum
    }

    private func isCurrent(_ entry: Entry) -> Bool {
        slots[Int(entry.slot)].entrySequence == entry.sequence
    }

    private mutating func release(slot: UInt32) {
        let index = Int(slot)
        slots[index].action = nil
        slots[index].generation &+= 1
        slots[index].entrySequence = 0
        freeSlots.append(slot)
        count -= 1
    }

    /// Queues the entry that now stands for `slot`, making any earlier entry of the slot stale.
    private mutating func push(slot: UInt32, deadline: Int64) {
        let entry = Entry(deadline: deadline, sequence: nextSequence, slot: slot)
        nextSequence += 1
        slots[Int(slot)].entrySequence = entry.sequence
        slots[Int(slot)].entryDeadline = deadline
        if heap.count >= 64 && heap.count >= 2 * count {
            dropStaleEntries()
        }
        heap.append(entry)
        siftUp(heap.count - 1)
    }

    /// Rebuilds the heap from its current entries only.
    private mutating func dropStaleEntries() {
        let slots = self.slots
        heap.removeAll { slots[Int($0.slot)].entrySequence != $0.sequence }
        var index = heap.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else {
                return
            }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else {
                return
            }
            let right = left + 1
            let child = right < heap.count && heap[right].precedes(heap[left]) ? right : left
            guard heap[child].precedes(heap[parent]) else {
                return
            }
            heap.swapAt(child, parent)
            parent = child
        }
    }
}
