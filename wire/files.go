package wire

import (
	"strconv"
	"time"
)

// Files and images (docs/protocol.md, "Files and images"). A file travels
// over plain HTTP with the Bearer token, never through socket frames: an
// upload is started with POST PathFiles, its bytes are sent with PATCH
// UploadPath(id) from an offset (HEAD tells the offset after a cut), and the
// last byte stores it and posts a message carrying it as an Attachment.
const (
	PathFiles   = "/files"    // POST FileUpload: start an upload (201 Upload)
	PathUploads = "/uploads/" // + upload id: HEAD (offset), PATCH (bytes), DELETE (abandon)
	// HeaderUploadOffset is the offset a PATCH's body starts at (request),
	// and the bytes the server holds (HEAD and PATCH answers).
	HeaderUploadOffset = "Upload-Offset"
	// ContentTypeUpload is a PATCH body's type.
	ContentTypeUpload = "application/offset+octet-stream"
)

// Limits of files.
const (
	DefaultMaxFileSize = 100 << 20 // bytes of one file (server option --max-file-size)
	MaxFileNameBytes   = 255       // bytes of a file's name
	MaxUploadsPerUser  = 8         // unfinished uploads one user may hold
	UploadExpiry       = time.Hour // an unfinished upload untouched this long is dropped
	// MaxImagePixels bounds the images the server decodes for a thumbnail
	// (width x height from the header, before decoding): a larger one, a
	// decompression bomb perhaps, is kept as a plain file, not an image.
	MaxImagePixels = 40_000_000
	MaxImageSide   = 20_000 // pixels of an image's width or height, likewise
	ThumbSide      = 320    // a thumbnail's width and height at most, in pixels
	MaxThumbBytes  = 256 << 10
)

// Error codes of files.
const (
	ErrFileTooLarge   = "file_too_large"   // 413: larger than the server's limit
	ErrInvalidFile    = "invalid_file"     // a file name that is empty, too long or has control characters
	ErrOffsetMismatch = "offset_mismatch"  // 409: the PATCH's Upload-Offset is not the server's (HEAD, then resume)
	ErrTooManyUploads = "too_many_uploads" // 429: MaxUploadsPerUser unfinished uploads
)

// Types a file is served as: an image the server recognised by its content
// (never by its name or the uploader's word), or else bytes.
const (
	TypeOctetStream = "application/octet-stream"
	TypePNG         = "image/png"
	TypeJPEG        = "image/jpeg"
	TypeGIF         = "image/gif"
)

// FileUpload is the body of POST PathFiles.
type FileUpload struct {
	Room     string `json:"room"`
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	Text     string `json:"text,omitempty"`     // a caption, optional
	ClientID string `json:"clientId,omitempty"` // as a message's: a retried upload posts once
}

// Upload is an unfinished upload: its id (PATCH and HEAD UploadPath(ID)),
// its size, and the bytes the server holds.
type Upload struct {
	ID     string `json:"id"`
	Size   int64  `json:"size"`
	Offset int64  `json:"offset"`
}

// UploadDone is the answer (201) to the PATCH that completes an upload: the
// message it posted, attachment included. The file is stored then.
type UploadDone struct {
	Message Message `json:"message"`
}

// Attachment is a file a message carries. Download it with GET
// FilePath(message id), its thumbnail (when Thumb) with ThumbPath.
type Attachment struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
	Type string `json:"type"` // TypePNG, TypeJPEG, TypeGIF or TypeOctetStream
	Hash string `json:"hash"` // SHA-256 of the content, lowercase hex
	// Thumb says there is a thumbnail (images only), of Width x Height
	// pixels for an image of ImageWidth x ImageHeight.
	Thumb       bool `json:"thumb,omitempty"`
	Width       int  `json:"width,omitempty"`
	Height      int  `json:"height,omitempty"`
	ImageWidth  int  `json:"imageWidth,omitempty"`
	ImageHeight int  `json:"imageHeight,omitempty"`
}

// UploadPath is where an upload's bytes go.
func UploadPath(id string) string { return PathUploads + id }

// FilePath is where the attachment of message id is downloaded.
func FilePath(id int64) string { return PathFiles + "/" + strconv.FormatInt(id, 10) }

// ThumbPath is where the thumbnail of message id's attachment is.
func ThumbPath(id int64) string { return FilePath(id) + "/thumb" }
