// Package archtest checks the shape of the tree: the arrows of the data flow point one
// way, and the pure core (matching, decoding, counting, evaluation, incidents, the alert
// contract) builds without Kafka, Redis or HTTP.
package archtest
