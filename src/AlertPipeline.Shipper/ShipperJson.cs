using System.Text.Json.Serialization;

namespace AlertPipeline.Shipper;

/// <summary>Source-generated JSON metadata (no reflection).</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class ShipperJson : JsonSerializerContext;
