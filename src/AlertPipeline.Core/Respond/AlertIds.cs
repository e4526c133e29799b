using System.Security.Cryptography;
using System.Text;

namespace AlertPipeline.Core.Respond;

/// <summary>Deterministic alert ids, so at-least-once delivery converges on one alert.</summary>
public static class AlertIds
{
    /// <summary>
    /// The id of the alert for <paramref name="ruleId"/> on <paramref name="sandboxId"/> in the bucket
    /// containing <paramref name="eventTime"/>: 32 hex chars of SHA-256, safe as a Table RowKey.
    /// </summary>
    public static string For(string ruleId, string sandboxId, DateTimeOffset eventTime, TimeSpan bucket)
    {
        var bucketStart = eventTime.UtcTicks - (eventTime.UtcTicks % bucket.Ticks);
        var key = $"{ruleId}\n{sandboxId}\n{bucketStart}";
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
