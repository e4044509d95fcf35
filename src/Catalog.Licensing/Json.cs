using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace Catalog.Licensing
{
    /// <summary>The service's envelope: <c>{"data": ...}</c>.</summary>
    internal sealed class Envelope<T> where T : class
    {
        public T? Data { get; set; }
    }

    /// <summary>RFC 9457 problem details, with the service's <c>code</c> and field <c>errors</c>.</summary>
    internal sealed class Problem
    {
        public string? Title { get; set; }
        public int? Status { get; set; }
        public string? Detail { get; set; }
        public string? Code { get; set; }
        public Dictionary<string, string[]>? Errors { get; set; }
    }

    /// <summary>A license file as the service hands it out.</summary>
    internal sealed class IssuedFile
    {
        public string? File { get; set; }
    }

    internal sealed class ActivateBody
    {
        public string Fingerprint { get; set; } = "";
        public string? Name { get; set; }
        public Dictionary<string, string>? Metadata { get; set; }
        public string Product { get; set; } = "";
    }

    internal sealed class ValidateBody
    {
        public string Fingerprint { get; set; } = "";
        public string Product { get; set; } = "";
        public List<string>? Entitlements { get; set; }
    }

    internal sealed class FileBody
    {
        public string Fingerprint { get; set; } = "";
        public string Product { get; set; } = "";
    }

    internal sealed class ProductBody
    {
        public string Product { get; set; } = "";
    }

    internal sealed class LeaseBody
    {
        public string Fingerprint { get; set; } = "";
        public int? BorrowSeconds { get; set; }
        public string Product { get; set; } = "";
    }

    internal sealed class UsageBody
    {
        public int Increment { get; set; }
        public string Product { get; set; } = "";
    }

    internal sealed class OfflineBody
    {
        public string Request { get; set; } = "";
    }

    /// <summary>What an air-gapped machine writes for the service (the contract's format).</summary>
    internal sealed class OfflineRequest
    {
        public string Fingerprint { get; set; } = "";
        public string Name { get; set; } = "";
        public string Product { get; set; } = "";
        public string Nonce { get; set; } = "";
    }

    /// <summary>Source-generated serialization: no reflection, so the SDK is trimming- and AOT-safe.</summary>
    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonSerializable(typeof(Envelope<Machine>))]
    [JsonSerializable(typeof(Envelope<LicenseDetails>))]
    [JsonSerializable(typeof(Envelope<Validation>))]
    [JsonSerializable(typeof(Envelope<Heartbeat>))]
    [JsonSerializable(typeof(Envelope<Lease>))]
    [JsonSerializable(typeof(Envelope<Usage>))]
    [JsonSerializable(typeof(Envelope<OfflineActivation>))]
    [JsonSerializable(typeof(Envelope<IssuedFile>))]
    [JsonSerializable(typeof(Problem))]
    [JsonSerializable(typeof(ActivateBody))]
    [JsonSerializable(typeof(ValidateBody))]
    [JsonSerializable(typeof(FileBody))]
    [JsonSerializable(typeof(ProductBody))]
    [JsonSerializable(typeof(LeaseBody))]
    [JsonSerializable(typeof(UsageBody))]
    [JsonSerializable(typeof(OfflineBody))]
    [JsonSerializable(typeof(OfflineRequest))]
    internal sealed partial class WireJson : JsonSerializerContext
    {
    }
}
