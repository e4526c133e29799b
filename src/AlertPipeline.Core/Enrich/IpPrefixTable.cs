namespace AlertPipeline.Core.Enrich;

/// <summary>
/// Longest-prefix match over IPv4 and IPv6 networks, built once: the nested networks are flattened into sorted,
/// disjoint ranges, each carrying the value of the most specific network that covers it, so a lookup is one binary
/// search (about 17 comparisons at 100k entries) whatever the mix of prefix lengths, and allocates nothing.
/// </summary>
/// <typeparam name="TValue">What a network maps to.</typeparam>
public sealed class IpPrefixTable<TValue>
{
    private const int NoValue = -1;

    // _starts[i] begins a range that runs up to _starts[i + 1] - 1 (the last one to the end of the space);
    // _slots[i] indexes _values, or NoValue for a gap between networks.
    private readonly UInt128[] _starts;
    private readonly int[] _slots;
    private readonly TValue[] _values;

    /// <summary>
    /// Builds the table. When the same network is listed twice the first entry wins, so callers order their input
    /// by preference.
    /// </summary>
    public IpPrefixTable(IEnumerable<(IpPrefix Prefix, TValue Value)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var prefixes = new List<(UInt128 Start, UInt128 End, int Slot)>();
        var values = new List<TValue>();
        var seen = new HashSet<(UInt128, int)>();
        foreach (var (prefix, value) in entries)
        {
            if (seen.Add((prefix.Network, prefix.Length)))
            {
                prefixes.Add((prefix.Network, prefix.Last, values.Count));
                values.Add(value);
            }
        }

        // Outer networks before the networks they contain: by start, then widest first. CIDRs never overlap
        // partially, so a sweep with a stack of open networks yields the disjoint ranges.
        prefixes.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.End.CompareTo(a.End));
        var starts = new List<UInt128>(prefixes.Count * 2);
        var slots = new List<int>(prefixes.Count * 2);
        var open = new Stack<(UInt128 End, int Slot)>();
        foreach (var (start, end, slot) in prefixes)
        {
            while (open.Count > 0 && open.Peek().End < start)
            {
                Close(open, starts, slots);
            }

            Mark(starts, slots, start, slot);
            open.Push((end, slot));
        }

        while (open.Count > 0)
        {
            Close(open, starts, slots);
        }

        _starts = [.. starts];
        _slots = [.. slots];
        _values = [.. values];
    }

    /// <summary>A table with no network.</summary>
    public static IpPrefixTable<TValue> Empty { get; } = new([]);

    /// <summary>Number of distinct networks.</summary>
    public int Count => _values.Length;

    /// <summary>The value of the most specific network containing <paramref name="address"/>.</summary>
    public bool TryMatch(UInt128 address, out TValue value)
    {
        var index = _starts.AsSpan().BinarySearch(address);
        if (index < 0)
        {
            index = ~index - 1;
        }

        if (index >= 0 && _slots[index] != NoValue)
        {
            value = _values[_slots[index]];
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>As <see cref="TryMatch(UInt128, out TValue)"/> for an address as text; false when it is not an IP address.</summary>
    public bool TryMatch(ReadOnlySpan<char> address, out TValue value)
    {
        if (_values.Length != 0 && IpPrefix.TryParseAddress(address, out var key, out _))
        {
            return TryMatch(key, out value);
        }

        value = default!;
        return false;
    }

    private static void Close(Stack<(UInt128 End, int Slot)> open, List<UInt128> starts, List<int> slots)
    {
        var (end, _) = open.Pop();
        if (end != UInt128.MaxValue)
        {
            // Past this network the enclosing one (or nothing) applies again.
            Mark(starts, slots, end + 1, open.Count > 0 ? open.Peek().Slot : NoValue);
        }
    }

    private static void Mark(List<UInt128> starts, List<int> slots, UInt128 at, int slot)
    {
        if (starts.Count > 0 && starts[^1] == at)
        {
            slots[^1] = slot; // a later, more specific (or following) range begins at the same address
        }
        else
        {
            starts.Add(at);
            slots.Add(slot);
        }
    }
}
