namespace AlertPipeline.Core.Enrich;

/// <summary>
/// Domains matched by suffix on label boundaries: an entry <c>example.com</c> matches <c>example.com</c> and
/// <c>pool.example.com</c> but not <c>badexample.com</c>. A name is looked up as itself, then without its first label,
/// and so on (the most specific entry wins), through a span-keyed hash lookup, so matching allocates nothing and costs
/// one hash probe per label whatever the number of entries. Case-insensitive; a trailing dot is ignored.
/// </summary>
/// <typeparam name="TValue">What a domain maps to.</typeparam>
public sealed class DomainSuffixTable<TValue>
{
    private readonly Dictionary<string, TValue> _entries;
    private readonly Dictionary<string, TValue>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>Builds the table; when a domain is listed twice the first entry wins.</summary>
    public DomainSuffixTable(IEnumerable<(string Domain, TValue Value)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _entries = new Dictionary<string, TValue>(StringComparer.OrdinalIgnoreCase);
        foreach (var (domain, value) in entries)
        {
            _entries.TryAdd(domain.TrimEnd('.'), value);
        }

        _lookup = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>A table with no domain.</summary>
    public static DomainSuffixTable<TValue> Empty { get; } = new([]);

    /// <summary>Number of domains.</summary>
    public int Count => _entries.Count;

    /// <summary>The value of the most specific listed domain that is <paramref name="name"/> or one of its parents.</summary>
    public bool TryMatch(ReadOnlySpan<char> name, out TValue value)
    {
        name = name.TrimEnd('.');
        while (_entries.Count != 0 && !name.IsEmpty)
        {
            if (_lookup.TryGetValue(name, out value!))
            {
                return true;
            }

            var dot = name.IndexOf('.');
            if (dot < 0)
            {
                break;
            }

            name = name[(dot + 1)..];
        }

        value = default!;
        return false;
    }
}
