using System.Collections.Frozen;

namespace AlertPipeline.Core.Detect.Sigma;

/// <summary>
/// Values of Sigma placeholders (<c>%name%</c> in a value with the <c>|expand</c> modifier), e.g.
/// <c>admins</c> → <c>root</c>, <c>ubuntu</c>. Comes from configuration (<c>Sigma:Placeholders:&lt;name&gt;</c>);
/// names are case-sensitive, as pySigma's are. Values are Sigma strings: <c>*</c> and <c>?</c> are wildcards.
/// </summary>
public sealed class SigmaPlaceholders
{
    private readonly FrozenDictionary<string, string[]> _values;

    /// <summary>Creates a table from placeholder names (without the <c>%</c>) and their values.</summary>
    public SigmaPlaceholders(IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var map = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (name, list) in values)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
            ArgumentNullException.ThrowIfNull(list);
            map[name] = [.. list];
        }

        _values = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>No placeholders configured: every <c>|expand</c> with a placeholder is a compile error.</summary>
    public static SigmaPlaceholders None { get; } = new([]);

    /// <summary>The configured placeholder names.</summary>
    public IEnumerable<string> Names => _values.Keys;

    /// <summary>The values of placeholder <paramref name="name"/> (without the <c>%</c>), if configured.</summary>
    public bool TryGet(string name, out IReadOnlyList<string> values)
    {
        var found = _values.TryGetValue(name, out var array);
        values = array ?? [];
        return found;
    }
}
