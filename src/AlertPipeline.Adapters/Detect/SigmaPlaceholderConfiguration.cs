using AlertPipeline.Core.Detect.Sigma;
using Microsoft.Extensions.Configuration;

namespace AlertPipeline.Adapters.Detect;

/// <summary>
/// Binds <see cref="SigmaPlaceholders"/> from the <c>Sigma:Placeholders</c> section: one key per placeholder,
/// holding either a comma-separated string (<c>Sigma__Placeholders__admins=root,ubuntu</c>) or a list
/// (<c>Sigma:Placeholders:admins:0</c>, <c>…:1</c>, as JSON arrays bind).
/// </summary>
public static class SigmaPlaceholderConfiguration
{
    /// <summary>The configuration section holding placeholder values.</summary>
    public const string Section = "Sigma:Placeholders";

    /// <summary>Reads the placeholders configured in <paramref name="configuration"/> (none when the section is absent).</summary>
    public static SigmaPlaceholders FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var values = new List<KeyValuePair<string, IReadOnlyList<string>>>();
        foreach (var child in configuration.GetSection(Section).GetChildren())
        {
            IReadOnlyList<string> list = child.Value is { } text
                ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : [.. child.GetChildren().Select(c => c.Value).OfType<string>()];
            values.Add(new(child.Key, list));
        }

        return new SigmaPlaceholders(values);
    }
}
