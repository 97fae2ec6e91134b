import Foundation
import FSExportCore
import Testing

@testable import FSExportS3

@Suite("S3 addressing and options")
struct AddressingTests {
    @Test("Keys and queries are written in SigV4's canonical form, since libcurl signs them as given")
    func canonicalForm() {
        let path = S3Addressing(endpoint: "http://127.0.0.1:9000", region: "us-east-1", bucket: "b", pathStyle: true)
        #expect(path.url(key: "a b/ü+%&=?.json", query: [("uploadId", "x/y+z"), ("partNumber", "2")])
            == "http://127.0.0.1:9000/b/a%20b/%C3%BC%2B%25%26%3D%3F.json?partNumber=2&uploadId=x%2Fy%2Bz")
        #expect(path.bucketURL(query: [("uploads", ""), ("prefix", "logs/")]) == "http://127.0.0.1:9000/b/?prefix=logs%2F&uploads=")
        let virtual = S3Addressing(endpoint: "https://s3.eu-west-1.amazonaws.com", region: "eu-west-1", bucket: "my-bucket", pathStyle: false)
        #expect(virtual.url(key: "k") == "https://my-bucket.s3.eu-west-1.amazonaws.com/k")
        #expect(virtual.display(key: "k") == "s3://my-bucket/k")
    }

    @Test("Bucket names S3 refuses are refused here")
    func bucketNames() {
        for good in ["abc", "my-bucket.logs", "0ab", String(repeating: "a", count: 63)] { #expect(S3Addressing.isValidBucket(good), "\(good)") }
        for bad in ["", "ab", "-ab", "ab-", "AB", "a_b", "a/b", String(repeating: "a", count: 64), "a b", "ü12"] {
            #expect(!S3Addressing.isValidBucket(bad), "\(bad)")
        }
    }

    @Test("Part sizes grow so that no object needs more than 10,000 parts")
    func partSizes() {
        #expect(MultipartUpload.partSize(for: 0, preferred: 16 << 20) == 16 << 20)
        #expect(MultipartUpload.partSize(for: 160_000 << 20, preferred: 16 << 20) == 16 << 20)
        let huge: Int64 = 5 << 40  // 5 TiB, S3's largest object
        let size = MultipartUpload.partSize(for: huge, preferred: 16 << 20)
        #expect((huge + Int64(size) - 1) / Int64(size) <= 10_000)
        #expect(size % (1 << 20) == 0)
    }

    @Test("Content types follow the name")
    func contentTypes() {
        #expect(ContentTypes.inferred(fromName: "a/b.json.gz") == "application/gzip")
        #expect(ContentTypes.inferred(fromName: "x.tar") == "application/x-tar")
        #expect(ContentTypes.inferred(fromName: "x.ndjson") == "application/x-ndjson")
        #expect(ContentTypes.inferred(fromName: "noextension") == "application/octet-stream")
    }

    @Test("S3's XML answers: those S3 and compatible stores send, and malformed ones")
    func responses() throws {
        #expect(try S3Responses.uploadID(Data("<InitiateMultipartUploadResult><Bucket>b</Bucket><UploadId>abc</UploadId></InitiateMultipartUploadResult>".utf8)) == "abc")
        #expect(throws: S3Responses.Malformed.self) { try S3Responses.uploadID(Data("<InitiateMultipartUploadResult/>".utf8)) }
        #expect(throws: S3Responses.Malformed.self) { try S3Responses.uploadID(Data()) }
        #expect(try S3Responses.completion(Data("<CompleteMultipartUploadResult><ETag>\"e-2\"</ETag></CompleteMultipartUploadResult>".utf8)) == .success("\"e-2\""))
        #expect(try S3Responses.completion(Data("<Error><Code>InternalError</Code><Message>m</Message></Error>".utf8))
            == .failure(S3Responses.ErrorDocument(code: "InternalError", message: "m")))
        let page = try S3Responses.uploads(Data("""
            <ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>k2</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>
            <Upload><Key>a &amp; b</Key><UploadId>u1</UploadId></Upload></ListMultipartUploadsResult>
            """.utf8))
        #expect(page.uploads == [S3Responses.Upload(key: "a & b", uploadID: "u1")])
        #expect(page.next?.keyMarker == "k2")
        #expect(throws: S3Responses.Malformed.self) { try S3Responses.uploads(Data("<ListMultipartUploadsResult><IsTruncated>true</IsTruncated></ListMultipartUploadsResult>".utf8)) }
        // The reader's own corners: a declaration, comments, attributes, CDATA, entities; a DOCTYPE
        // (entity expansion) and unbalanced or doubled roots refused.
        #expect(try S3Responses.uploadID(Data("""
            \u{FEFF}<?xml version="1.0" encoding="UTF-8"?><!-- c --><InitiateMultipartUploadResult xmlns="x" a='>'>
            <UploadId><![CDATA[a<b]]>&amp;&#x41;&#66;</UploadId></InitiateMultipartUploadResult>
            """.utf8)) == "a<b&AB")
        for refused in [
            "<!DOCTYPE x [<!ENTITY e \"boom\">]><InitiateMultipartUploadResult><UploadId>&e;</UploadId></InitiateMultipartUploadResult>",
            "<InitiateMultipartUploadResult><UploadId>x</UploadId>", "<InitiateMultipartUploadResult><UploadId>x</Upload></InitiateMultipartUploadResult>",
            "<InitiateMultipartUploadResult><UploadId>x</UploadId></InitiateMultipartUploadResult><Again/>",
            "<InitiateMultipartUploadResult><UploadId>&bogus;</UploadId></InitiateMultipartUploadResult>",
            "<InitiateMultipartUploadResult><UploadId>&#xFFFFFFFF;</UploadId></InitiateMultipartUploadResult>",
        ] {
            #expect(throws: S3Responses.Malformed.self, "\(refused)") { try S3Responses.uploadID(Data(refused.utf8)) }
        }
        let deep = String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000)
        #expect(throws: S3Responses.Malformed.self) { try S3Responses.uploadID(Data(deep.utf8)) }
    }
}
