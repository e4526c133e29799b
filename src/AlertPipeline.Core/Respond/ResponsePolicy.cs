using AlertPipeline.Core.Detect;

namespace AlertPipeline.Core.Respond;

/// <summary>
/// Which channels act on an alert of each level. Default: critical → email, Teams, shutdown;
/// high → email, Teams; medium → Teams; low and informational → record only.
/// </summary>
public sealed class ResponsePolicy
{
    private readonly IReadOnlyList<string>[] _byLevel;

    /// <summary>Creates a policy from level → channel names.</summary>
    public ResponsePolicy(IReadOnlyDictionary<AlertLevel, IReadOnlyList<string>> channelsByLevel)
    {
        _byLevel = new IReadOnlyList<string>[(int)AlertLevel.Critical + 1];
        for (var level = AlertLevel.Informational; level <= AlertLevel.Critical; level++)
        {
            _byLevel[(int)level] = channelsByLevel.TryGetValue(level, out var channels) ? channels : [];
        }
    }

    /// <summary>The default policy.</summary>
    public static ResponsePolicy Default { get; } = new(new Dictionary<AlertLevel, IReadOnlyList<string>>
    {
        [AlertLevel.Critical] = ["email", "teams", "shutdown"],
        [AlertLevel.High] = ["email", "teams"],
        [AlertLevel.Medium] = ["teams"],
    });

    /// <summary>
    /// Parses overrides such as <c>critical=email,teams,shutdown</c> per level; levels not given keep the default.
    /// Throws <see cref="FormatException"/> naming the bad level or channel, so a bad setting fails at start, loudly.
    /// </summary>
    public static ResponsePolicy FromSettings(IReadOnlyDictionary<string, string?> levelToChannels, IReadOnlyCollection<string> knownChannels)
    {
        var map = new Dictionary<AlertLevel, IReadOnlyList<string>>();
        for (var level = AlertLevel.Informational; level <= AlertLevel.Critical; level++)
        {
            map[level] = Default.ChannelsFor(level);
        }

        foreach (var (key, value) in levelToChannels)
        {
            if (!AlertLevels.TryParse(key, out var level))
            {
                throw new FormatException($"Response policy: unknown level '{key}'.");
            }

            var channels = (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var channel in channels)
            {
                if (!knownChannels.Contains(channel))
                {
                    throw new FormatException($"Response policy: level '{key}' names unknown channel '{channel}'.");
                }
            }

            map[level] = channels;
        }

        return new ResponsePolicy(map);
    }

    /// <summary>The channels for <paramref name="level"/>, in order.</summary>
    public IReadOnlyList<string> ChannelsFor(AlertLevel level) => _byLevel[(int)level];
}
