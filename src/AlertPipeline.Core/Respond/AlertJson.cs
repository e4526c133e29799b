using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlertPipeline.Core.Respond;

/// <summary>The one JSON shape of alerts (stores, CLI output, HTTP), created once.</summary>
public static class AlertJson
{
    /// <summary>camelCase, enums as kebab-case strings.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
