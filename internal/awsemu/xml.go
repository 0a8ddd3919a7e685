package awsemu

import (
	"encoding/xml"
	"net/http"
	"time"
)

// Namespaces of the query APIs' XML, as the real services write them.
const (
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsVersion   = "2011-06-15"
	iamVersion   = "2010-05-08"
)

// apiError is an error answer: the HTTP status and the Code and Message of
// the ErrorResponse body. Status 5xx is a Receiver fault, the rest Sender.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func accessDenied(msg string) *apiError {
	return &apiError{status: http.StatusForbidden, code: "AccessDenied", message: msg}
}

func validationError(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ValidationError", message: msg}
}

// The shapes below follow the XML examples in the STS and IAM API references
// (https://docs.aws.amazon.com/STS/latest/APIReference/,
// https://docs.aws.amazon.com/IAM/latest/APIReference/).

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

// envelope is <ActionResponse xmlns=...><ActionResult>...</ActionResult>
// <ResponseMetadata>...</ResponseMetadata></ActionResponse>; Result carries
// its own element name, and a nil Result (DeleteAccessKey) is left out.
type envelope struct {
	XMLName  xml.Name
	Result   any
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type errorResponse struct {
	XMLName xml.Name
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// awsTime is how both services write timestamps (ISO 8601, UTC).
type awsTime time.Time

func (t awsTime) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format("2006-01-02T15:04:05Z")), nil
}

type credentialsXML struct {
	AccessKeyID     string  `xml:"AccessKeyId"`
	SecretAccessKey string  `xml:"SecretAccessKey"`
	SessionToken    string  `xml:"SessionToken"`
	Expiration      awsTime `xml:"Expiration"`
}

type assumedRoleUserXML struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type getCallerIdentityResult struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	Arn     string   `xml:"Arn"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
}

type getSessionTokenResult struct {
	XMLName     xml.Name       `xml:"GetSessionTokenResult"`
	Credentials credentialsXML `xml:"Credentials"`
}

type assumeRoleResult struct {
	XMLName         xml.Name           `xml:"AssumeRoleResult"`
	SourceIdentity  string             `xml:"SourceIdentity,omitempty"`
	AssumedRoleUser assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials     credentialsXML     `xml:"Credentials"`
}

type assumeRoleWithWebIdentityResult struct {
	XMLName                     xml.Name           `xml:"AssumeRoleWithWebIdentityResult"`
	SubjectFromWebIdentityToken string             `xml:"SubjectFromWebIdentityToken"`
	Audience                    string             `xml:"Audience"`
	AssumedRoleUser             assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials                 credentialsXML     `xml:"Credentials"`
	Provider                    string             `xml:"Provider"`
}

type userXML struct {
	UserID     string  `xml:"UserId"`
	Path       string  `xml:"Path"`
	UserName   string  `xml:"UserName"`
	Arn        string  `xml:"Arn"`
	CreateDate awsTime `xml:"CreateDate"`
}

type getUserResult struct {
	XMLName xml.Name `xml:"GetUserResult"`
	User    userXML  `xml:"User"`
}

type mfaDeviceXML struct {
	UserName     string  `xml:"UserName"`
	SerialNumber string  `xml:"SerialNumber"`
	EnableDate   awsTime `xml:"EnableDate"`
}

type listMFADevicesResult struct {
	XMLName     xml.Name `xml:"ListMFADevicesResult"`
	IsTruncated bool     `xml:"IsTruncated"`
	MFADevices  struct {
		// A struct, not "MFADevices>member", so that an empty list is still
		// written (<MFADevices/>), as IAM does and botocore expects.
		Members []mfaDeviceXML `xml:"member"`
	} `xml:"MFADevices"`
}

type accessKeyMetadataXML struct {
	UserName    string  `xml:"UserName"`
	AccessKeyID string  `xml:"AccessKeyId"`
	Status      string  `xml:"Status"`
	CreateDate  awsTime `xml:"CreateDate"`
}

type listAccessKeysResult struct {
	XMLName           xml.Name `xml:"ListAccessKeysResult"`
	UserName          string   `xml:"UserName"`
	AccessKeyMetadata struct {
		Members []accessKeyMetadataXML `xml:"member"`
	} `xml:"AccessKeyMetadata"`
	IsTruncated bool `xml:"IsTruncated"`
}

type createAccessKeyResult struct {
	XMLName   xml.Name `xml:"CreateAccessKeyResult"`
	AccessKey struct {
		UserName        string  `xml:"UserName"`
		AccessKeyID     string  `xml:"AccessKeyId"`
		Status          string  `xml:"Status"`
		SecretAccessKey string  `xml:"SecretAccessKey"`
		CreateDate      awsTime `xml:"CreateDate"`
	} `xml:"AccessKey"`
}
